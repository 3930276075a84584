"""Helpers for your own test suites: a testing mode that makes every retry wait zero.

Like stamina's: attempt counts stay what the code says (or a cap you choose), no time passes.

>>> from powertools.retry import retry
>>> from powertools.retry.testing import set_testing
>>> calls = []
>>> @retry(max_attempts=3, base_delay=10)
... def flaky():
...     calls.append(1)
...     raise ConnectionError("down")
>>> with set_testing(True):
...     flaky()
Traceback (most recent call last):
ConnectionError: down
>>> len(calls)
3
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from powertools.retry.errors import RetryConfigError

__all__ = ["FakeClock", "forget_breakers", "is_testing", "set_testing"]


@dataclass(slots=True)
class _Mode:
    enabled: bool = False
    attempts: int | None = None


MODE = _Mode()


class _Restore:
    """Returned by :func:`set_testing`: as a context manager it restores the previous mode."""

    __slots__ = ("_previous",)

    def __init__(self, previous: tuple[bool, int | None]) -> None:
        self._previous = previous

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info: object) -> None:
        MODE.enabled, MODE.attempts = self._previous


def set_testing(enabled: bool, *, attempts: int | None = None) -> _Restore:
    """Turn testing mode on or off; ``attempts`` caps every retry's attempts while it is on.

    Takes effect at once; used as ``with set_testing(True):`` it also restores the previous
    mode when the block ends.
    """
    if attempts is not None and attempts < 1:
        raise RetryConfigError(f"attempts={attempts!r} must be at least 1, or None for no cap")
    previous = (MODE.enabled, MODE.attempts)
    MODE.enabled = enabled
    MODE.attempts = attempts if enabled else None
    return _Restore(previous)


def is_testing() -> bool:
    """Whether testing mode is on."""
    return MODE.enabled


def forget_breakers() -> None:
    """Forget every breaker made by ``CircuitBreaker.named(...)``, so a test starts afresh.

    >>> from powertools.retry import CircuitBreaker
    >>> first = CircuitBreaker.named("docs-forget")
    >>> forget_breakers()
    >>> CircuitBreaker.named("docs-forget") is first
    False
    """
    from powertools.retry._breaker import forget_named  # the breaker imports this module's kin

    forget_named()


class FakeClock:
    """A monotonic clock that only moves when told to; its ``sleep`` advances it instantly.

    >>> clock = FakeClock()
    >>> clock.sleep(2.5)
    >>> clock()
    2.5
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def time(self) -> float:
        """The clock's reading, as ``time.time`` would give it."""
        return self.now

    def monotonic(self) -> float:
        """The clock's reading, as ``time.monotonic`` would give it."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (>= 0: time never goes back)."""
        if not seconds >= 0:
            raise ValueError(f"advance({seconds!r}): time never goes back; pass seconds >= 0")
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        """Record the sleep and advance the clock, without blocking."""
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        """The async twin of :meth:`sleep`: advances the clock, then yields to the loop once."""
        self.sleep(seconds)
        await asyncio.sleep(0)

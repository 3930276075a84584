"""Helpers for your own test suites: a testing mode that makes every retry wait zero.

Like stamina's: attempt counts stay what the code says (or a cap you choose), no time passes.

>>> from powertools.retry import retry
>>> from powertools.retry.testing import testing_mode
>>> calls = []
>>> @retry(max_attempts=3, base_delay=10)
... def flaky():
...     calls.append(1)
...     raise ConnectionError("down")
>>> with testing_mode():
...     flaky()
Traceback (most recent call last):
ConnectionError: down
>>> len(calls)
3
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from powertools.retry.errors import RetryConfigError

__all__ = ["FakeClock", "is_testing", "set_testing", "testing_mode"]


@dataclass(slots=True)
class _Mode:
    enabled: bool = False
    attempts: int | None = None


MODE = _Mode()


def set_testing(enabled: bool, *, attempts: int | None = None) -> None:
    """Turn testing mode on or off; ``attempts`` caps every retry's attempts while it is on."""
    if attempts is not None and attempts < 1:
        raise RetryConfigError(f"attempts={attempts!r} must be at least 1, or None for no cap")
    MODE.enabled = enabled
    MODE.attempts = attempts if enabled else None


def is_testing() -> bool:
    """Whether testing mode is on."""
    return MODE.enabled


@contextmanager
def testing_mode(*, attempts: int | None = None) -> Iterator[None]:  # noqa: PT028
    """Testing mode for the duration of a ``with`` block; restores the previous mode after."""
    previous = (MODE.enabled, MODE.attempts)
    set_testing(True, attempts=attempts)
    try:
        yield
    finally:
        MODE.enabled, MODE.attempts = previous


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

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        """Record the sleep and advance the clock, without blocking."""
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        """The async twin of :meth:`sleep`."""
        self.sleep(seconds)

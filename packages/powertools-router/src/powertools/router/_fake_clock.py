"""The test clock of :mod:`powertools.router.testing`, in the shape every powertools package shares.

Hand one :class:`FakeClock` to every component of a stack: the constructor, ``now``, the three
readers, ``advance``, ``sleep`` and ``asleep`` behave the same in each package's ``testing``
module (the testkit's ``check_fake_clock`` checks it).

>>> clock = FakeClock(start=10.0)
>>> clock.advance(2.5)
>>> clock(), clock.time(), clock.monotonic()
(12.5, 12.5, 12.5)
>>> clock.sleep(1.0)
>>> clock.now, clock.sleeps
(13.5, [1.0])
"""

from __future__ import annotations

import asyncio

__all__ = ["FakeClock"]


class FakeClock:
    """A clock that moves only when told to; its sleeps advance it at once instead of waiting.

    ``sleeps`` records every ``sleep`` and ``asleep`` (how a test sees the waits a component
    chose, as the local model manager's health rounds).
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def time(self) -> float:
        """The reading, as ``time.time`` would give it."""
        return self.now

    def monotonic(self) -> float:
        """The reading, as ``time.monotonic`` would give it."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``; a negative value raises ``ValueError``."""
        if seconds < 0:
            raise ValueError(f"advance({seconds}): a clock never goes back; pass seconds >= 0")
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        """Record the sleep and advance the clock by ``seconds``, without blocking."""
        self.advance(seconds)
        self.sleeps.append(seconds)

    async def asleep(self, seconds: float) -> None:
        """Record the sleep, advance the clock by ``seconds``, then let other tasks run once."""
        self.sleep(seconds)
        await asyncio.sleep(0)

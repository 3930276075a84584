"""Helpers for testing code that uses sessions: an isolated in-memory store and a fake clock.

>>> from powertools.session import Session
>>> from powertools.session.testing import FakeClock, memory_store
>>> clock, store = FakeClock(), memory_store()
>>> Session("s", store=store, ttl=60, clock=clock).set("a", 1)
>>> clock.advance(61)
>>> Session("s", store=store, clock=clock).get_all()
{}
"""

from __future__ import annotations

import asyncio
import itertools

from powertools.session.backends import memory

__all__ = ["FakeClock", "memory_store", "reset_memory_stores"]

_counter = itertools.count()


class FakeClock:
    """A clock that moves only when told: pass it as ``clock=`` to test TTLs.

    The same shape as every powertools package's ``testing.FakeClock``: it starts at ``start``
    (0.0 by default), ``now`` can be read and set, and ``clock()``, ``time()`` and ``monotonic()``
    all return it.

    >>> clock = FakeClock(start=10.0)
    >>> clock.advance(5)
    >>> clock(), clock.time(), clock.monotonic()
    (15.0, 15.0, 15.0)
    >>> clock.sleep(1)
    >>> clock.now
    16.0
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def time(self) -> float:
        """``now``, as ``time.time()`` would say it."""
        return self.now

    def monotonic(self) -> float:
        """``now``, as ``time.monotonic()`` would say it."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``; a negative number raises ``ValueError``."""
        if seconds < 0:
            raise ValueError(f"advance({seconds!r}): a clock never goes back; give seconds >= 0")
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        """Advance by ``seconds`` at once, instead of waiting."""
        self.advance(seconds)

    async def asleep(self, seconds: float) -> None:
        """Advance by ``seconds``, then let other tasks run once."""
        self.advance(seconds)
        await asyncio.sleep(0)


def memory_store(prefix: str = "test") -> str:
    """A ``memory://`` URL no other call of this function returns: an empty store per test."""
    return f"memory://{prefix}-{next(_counter)}"


def reset_memory_stores() -> None:
    """Forget every in-memory session and lease of this process."""
    with memory._SPACES_LOCK:
        for entries in memory._SPACES.values():
            entries.clear()  # sessions already open see the reset too
        memory._SPACES.clear()
        memory._LEASES.clear()

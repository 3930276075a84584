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

import itertools

from powertools.session.backends import memory

__all__ = ["FakeClock", "memory_store", "reset_memory_stores"]

_counter = itertools.count()


class FakeClock:
    """A wall clock that moves only when told: pass it as ``clock=`` to test TTLs."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


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

"""Where limit state lives: the ``Store`` protocol, the in-memory store and the URL lookup.

A store takes every dimension of one request in one atomic step and answers 0 (taken) or the
seconds to wait (nothing taken). ``RateLimiter`` without a store keeps its state in process
(the fast path); with a store, every process that shares it shares the limits.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from powertools.ratelimit._gcra import GcraCells
from powertools.ratelimit._limits import Limit
from powertools.ratelimit.errors import ConfigurationError, MissingExtraError

__all__ = ["MemoryStore", "Store", "open_store"]

ENTRY_POINT_GROUP = "powertools.ratelimit.stores"
_EXTRAS = {
    "redis": "redis",
    "rediss": "redis",
    "redis+cluster": "redis",
    "rediss+cluster": "redis",
}  # the extra each built-in scheme needs


@runtime_checkable
class Store(Protocol):
    """Shared limit state: one atomic take for all dimensions, and adjustments after it.

    Each operation has a blocking form, for ``with limiter.acquire()`` and decorated sync
    functions, and an async twin with an ``a`` prefix, for ``async with``.
    """

    def take(
        self,
        name: str,
        limits: Sequence[Limit],
        costs: Sequence[float],
        scale: float,
        late: float = 0.0,
    ) -> float:
        """Take ``costs`` from every limit of ``name`` and return 0, or return the wait.

        ``late``: seconds the request has already been due (a retry that woke up late); it
        may be counted as arriving up to that long ago, when it first fitted.
        """
        ...

    async def atake(
        self,
        name: str,
        limits: Sequence[Limit],
        costs: Sequence[float],
        scale: float,
        late: float = 0.0,
    ) -> float:
        """``take``, awaited."""
        ...

    def peek(
        self, name: str, limits: Sequence[Limit], costs: Sequence[float], scale: float
    ) -> float:
        """The seconds ``costs`` would wait now across every limit of ``name``; takes nothing."""
        ...

    async def apeek(
        self, name: str, limits: Sequence[Limit], costs: Sequence[float], scale: float
    ) -> float:
        """``peek``, awaited (one round trip)."""
        ...

    def adjust(
        self, name: str, limits: Sequence[Limit], deltas: Sequence[float], scale: float
    ) -> None:
        """Charge (positive) or refund (negative) amounts already taken."""
        ...

    async def aadjust(
        self, name: str, limits: Sequence[Limit], deltas: Sequence[float], scale: float
    ) -> None:
        """``adjust``, awaited."""
        ...

    def close(self) -> None:
        """Release the connections the blocking calls opened."""
        ...

    async def aclose(self) -> None:
        """Release every connection."""
        ...


class MemoryStore:
    """Limit state in this process, shared by every limiter given the same store and name.

    >>> store = MemoryStore(clock=lambda: 0.0)
    >>> lim = [Limit("requests", 1, 1.0)]
    >>> store.take("api", lim, (1, 0, 0, 0), 1.0)
    0.0
    >>> store.take("api", lim, (1, 0, 0, 0), 1.0)
    1.0
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._cells: dict[str, GcraCells] = {}
        self._lock = threading.Lock()

    def cells(self, name: str, limits: Sequence[Limit], scale: float) -> GcraCells:
        """The cells of ``name``, made (or updated to new limits) on demand."""
        with self._lock:
            cells = self._cells.get(name)
            if cells is None:
                cells = self._cells[name] = GcraCells(limits, scale)
            elif cells.limits != tuple(limits) or cells.scale != scale:
                cells.set_limits(limits, scale)
            return cells

    def take(
        self,
        name: str,
        limits: Sequence[Limit],
        costs: Sequence[float],
        scale: float,
        late: float = 0.0,
    ) -> float:
        """Take ``costs`` from every limit of ``name`` and return 0, or return the wait."""
        now = self._clock()
        since = now - late if late > 0.0 else math.inf
        return self.cells(name, limits, scale).try_take(now, costs, since)

    async def atake(
        self,
        name: str,
        limits: Sequence[Limit],
        costs: Sequence[float],
        scale: float,
        late: float = 0.0,
    ) -> float:
        """``take`` (nothing to wait for in memory)."""
        return self.take(name, limits, costs, scale, late)

    def peek(
        self, name: str, limits: Sequence[Limit], costs: Sequence[float], scale: float
    ) -> float:
        """The seconds ``costs`` would wait now; takes nothing."""
        return self.cells(name, limits, scale).wait_for(self._clock(), costs)

    async def apeek(
        self, name: str, limits: Sequence[Limit], costs: Sequence[float], scale: float
    ) -> float:
        """``peek`` (nothing to wait for in memory)."""
        return self.peek(name, limits, costs, scale)

    def adjust(
        self, name: str, limits: Sequence[Limit], deltas: Sequence[float], scale: float
    ) -> None:
        """Charge (positive) or refund (negative) amounts already taken."""
        self.cells(name, limits, scale).adjust(self._clock(), deltas)

    async def aadjust(
        self, name: str, limits: Sequence[Limit], deltas: Sequence[float], scale: float
    ) -> None:
        """``adjust`` (nothing to wait for in memory)."""
        self.adjust(name, limits, deltas, scale)

    def close(self) -> None:
        """Nothing to release."""

    async def aclose(self) -> None:
        """Nothing to release."""


def open_store(url: str) -> Store:
    """The store for ``url``, found by its scheme among the ``powertools.ratelimit.stores``.

    >>> type(open_store("memory://")).__name__
    'MemoryStore'
    """
    scheme = url.partition("://")[0]
    from importlib.metadata import entry_points  # about 30 ms: only when a store is named

    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if scheme not in found:
        raise ConfigurationError(
            f"no rate-limit store for {scheme!r} URLs: use one of {', '.join(sorted(found))}"
            " (install powertools-ratelimit[redis] for redis[s]:// and redis[s]+cluster://)"
        )
    try:
        factory: Callable[[str], Store] = found[scheme].load()
    except MissingExtraError:
        raise
    except ModuleNotFoundError as exc:
        extra = _EXTRAS.get(scheme, scheme)
        raise MissingExtraError(f"the {scheme}:// rate-limit store", extra) from exc
    return factory(url)


def memory_store_from_url(url: str) -> MemoryStore:
    """Entry point for ``memory://``."""
    del url
    return MemoryStore()

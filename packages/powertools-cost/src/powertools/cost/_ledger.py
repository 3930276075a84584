"""Where budgets and calls are kept: the ledger protocol and the in-memory ledger.

Amounts are femto-dollars (see ``_money``). A budget key names one budget in one window
(``global:monthly:2026-11``); the ledger knows nothing of windows or scopes.
"""

from __future__ import annotations

import functools
import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from powertools.cost._records import CallRecord

__all__ = ["Ledger", "MemoryLedger", "SyncLedger", "ThreadedLedger"]

_T = TypeVar("_T")


@runtime_checkable
class Ledger(Protocol):
    """Atomic budget arithmetic and a call log, shared by every tracker that uses it."""

    async def reserve(
        self, key: str, limit_fd: int, amount_fd: int, rid: str, *, expires_at: float, now: float
    ) -> bool:
        """Hold ``amount_fd`` if spent + live holds + amount <= limit; drop expired holds."""
        ...

    async def commit(self, key: str, rid: str, amount_fd: int) -> int:
        """Drop hold ``rid``, add ``amount_fd`` to spent; return the new spent."""
        ...

    async def release(self, key: str, rid: str) -> None:
        """Drop hold ``rid`` without spending."""
        ...

    async def extend(self, key: str, rid: str, *, expires_at: float, now: float) -> bool:
        """Make live hold ``rid`` last until ``expires_at``; False if it is gone or expired."""
        ...

    async def totals(self, key: str, now: float) -> tuple[int, int]:
        """Spent and live held amounts of a budget key."""
        ...

    async def first_alert(self, key: str, name: str) -> bool:
        """True exactly once per (key, name): the alert may fire."""
        ...

    async def append(self, record: CallRecord) -> None:
        """Store a priced call."""
        ...

    async def records(self, since: float | None = None) -> list[CallRecord]:
        """Stored calls at or after ``since``, oldest first."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


@runtime_checkable
class SyncLedger(Protocol):
    """A ledger that also answers synchronously (memory, SQLite): usable from ``with``."""

    def reserve_sync(
        self, key: str, limit_fd: int, amount_fd: int, rid: str, *, expires_at: float, now: float
    ) -> bool: ...
    def commit_sync(self, key: str, rid: str, amount_fd: int) -> int: ...
    def release_sync(self, key: str, rid: str) -> None: ...
    def extend_sync(self, key: str, rid: str, *, expires_at: float, now: float) -> bool: ...
    def totals_sync(self, key: str, now: float) -> tuple[int, int]: ...
    def first_alert_sync(self, key: str, name: str) -> bool: ...
    def append_sync(self, record: CallRecord) -> None: ...
    def records_sync(self, since: float | None = None) -> list[CallRecord]: ...


class ThreadedLedger(ABC):
    """Async methods from a class's sync ones; ``offload`` runs them in a worker thread."""

    offload = False

    async def _run(self, fn: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        if self.offload:
            import asyncio

            return await asyncio.to_thread(functools.partial(fn, *args, **kwargs))
        return fn(*args, **kwargs)

    async def reserve(
        self, key: str, limit_fd: int, amount_fd: int, rid: str, *, expires_at: float, now: float
    ) -> bool:
        return await self._run(
            self.reserve_sync, key, limit_fd, amount_fd, rid, expires_at=expires_at, now=now
        )

    async def commit(self, key: str, rid: str, amount_fd: int) -> int:
        return await self._run(self.commit_sync, key, rid, amount_fd)

    async def release(self, key: str, rid: str) -> None:
        await self._run(self.release_sync, key, rid)

    async def extend(self, key: str, rid: str, *, expires_at: float, now: float) -> bool:
        return await self._run(self.extend_sync, key, rid, expires_at=expires_at, now=now)

    async def totals(self, key: str, now: float) -> tuple[int, int]:
        return await self._run(self.totals_sync, key, now)

    async def first_alert(self, key: str, name: str) -> bool:
        return await self._run(self.first_alert_sync, key, name)

    async def append(self, record: CallRecord) -> None:
        await self._run(self.append_sync, record)

    async def records(self, since: float | None = None) -> list[CallRecord]:
        return await self._run(self.records_sync, since)

    async def aclose(self) -> None:
        self.close()

    def close(self) -> None:  # noqa: B027  (most ledgers hold nothing to release)
        """Release resources (nothing for memory)."""

    @abstractmethod
    def reserve_sync(
        self, key: str, limit_fd: int, amount_fd: int, rid: str, *, expires_at: float, now: float
    ) -> bool: ...

    @abstractmethod
    def commit_sync(self, key: str, rid: str, amount_fd: int) -> int: ...

    @abstractmethod
    def release_sync(self, key: str, rid: str) -> None: ...

    @abstractmethod
    def extend_sync(self, key: str, rid: str, *, expires_at: float, now: float) -> bool: ...

    @abstractmethod
    def totals_sync(self, key: str, now: float) -> tuple[int, int]: ...

    @abstractmethod
    def first_alert_sync(self, key: str, name: str) -> bool: ...

    @abstractmethod
    def append_sync(self, record: CallRecord) -> None: ...

    @abstractmethod
    def records_sync(self, since: float | None = None) -> list[CallRecord]: ...


@dataclass(slots=True)
class _Budget:
    """One budget key's spending and live holds, with the held total kept as a running sum.

    Expired holds are swept only once the earliest expiry has passed, so checking a budget
    costs O(1) however many calls are in flight (a thousand concurrent calls would otherwise
    scan a thousand holds on every reserve).
    """

    spent: int = 0
    holds: dict[str, tuple[int, float]] = field(default_factory=dict)
    held_fd: int = 0
    # no live hold expires before this (a lower bound: exact after each sweep)
    next_expiry: float = float("inf")

    def extend(self, rid: str, expires_at: float, now: float) -> bool:
        hold = self.holds.get(rid)
        if hold is None or hold[1] <= now:
            return False
        self.holds[rid] = (hold[0], expires_at)
        self.next_expiry = min(self.next_expiry, expires_at)
        return True

    def drop(self, rid: str) -> None:
        hold = self.holds.pop(rid, None)
        if hold is not None:
            self.held_fd -= hold[0]

    def held(self, now: float) -> int:
        if now >= self.next_expiry:
            self.sweep(now)
        return self.held_fd

    def sweep(self, now: float) -> None:
        """Drop the holds that expired by ``now``."""
        live = {rid: h for rid, h in self.holds.items() if h[1] > now}
        self.holds = live
        self.held_fd = sum(amount for amount, _ in live.values())
        self.next_expiry = min((until for _, until in live.values()), default=float("inf"))


class MemoryLedger(ThreadedLedger):
    """The default ledger: one process, nothing persisted; it keeps the latest ``retain``
    call records (``None`` keeps all), so its memory stays flat.

    >>> ledger = MemoryLedger()
    >>> ledger.reserve_sync("k", 100, 60, "a", expires_at=10.0, now=0.0)
    True
    >>> ledger.reserve_sync("k", 100, 60, "b", expires_at=10.0, now=0.0)
    False
    >>> ledger.commit_sync("k", "a", 50), ledger.totals_sync("k", now=0.0)
    (50, (50, 0))
    """

    def __init__(self, *, retain: int | None = 10_000) -> None:
        from powertools.cost._aggregates import retention

        retention(retain, what="retain")  # validates it
        self._budgets: dict[str, _Budget] = {}
        self._alerts: set[tuple[str, str]] = set()
        # a bounded deque drops the oldest record as each new one arrives: O(1) per call, where
        # trimming a list a tenth at a time made every thousandth call pay for a thousand
        self._records: deque[CallRecord] = deque(maxlen=retain)
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> MemoryLedger:
        """``memory://``: a fresh ledger."""
        return cls()

    # The three calls of every async span, answered directly: memory never offloads, so
    # ThreadedLedger's indirection would only add a coroutine to each.
    async def reserve(
        self, key: str, limit_fd: int, amount_fd: int, rid: str, *, expires_at: float, now: float
    ) -> bool:
        return self.reserve_sync(key, limit_fd, amount_fd, rid, expires_at=expires_at, now=now)

    async def commit(self, key: str, rid: str, amount_fd: int) -> int:
        return self.commit_sync(key, rid, amount_fd)

    async def append(self, record: CallRecord) -> None:
        self._records.append(record)

    def _budget(self, key: str) -> _Budget:
        budget = self._budgets.get(key)
        if budget is None:
            budget = self._budgets[key] = _Budget()
        return budget

    def reserve_sync(
        self, key: str, limit_fd: int, amount_fd: int, rid: str, *, expires_at: float, now: float
    ) -> bool:
        lock = self._lock
        lock.acquire()  # not ``with``: half its cost (measured), and this runs for every call
        try:
            budget = self._budgets.get(key) or self._budget(key)
            if now >= budget.next_expiry:
                budget.sweep(now)
            if budget.spent + budget.held_fd + amount_fd > limit_fd:
                return False
            holds = budget.holds
            if rid in holds:
                budget.drop(rid)
            holds[rid] = (amount_fd, expires_at)
            budget.held_fd += amount_fd
            budget.next_expiry = min(budget.next_expiry, expires_at)
            return True
        finally:
            lock.release()

    def commit_sync(self, key: str, rid: str, amount_fd: int) -> int:
        lock = self._lock
        lock.acquire()
        try:
            budget = self._budgets.get(key) or self._budget(key)
            hold = budget.holds.pop(rid, None)  # _Budget.drop, inlined
            if hold is not None:
                budget.held_fd -= hold[0]
            budget.spent += amount_fd
            return budget.spent
        finally:
            lock.release()

    def release_sync(self, key: str, rid: str) -> None:
        with self._lock:
            self._budget(key).drop(rid)

    def extend_sync(self, key: str, rid: str, *, expires_at: float, now: float) -> bool:
        with self._lock:
            return self._budget(key).extend(rid, expires_at, now)

    def totals_sync(self, key: str, now: float) -> tuple[int, int]:
        with self._lock:
            budget = self._budget(key)
            return budget.spent, budget.held(now)

    def first_alert_sync(self, key: str, name: str) -> bool:
        with self._lock:
            if (key, name) in self._alerts:
                return False
            self._alerts.add((key, name))
            return True

    def append_sync(self, record: CallRecord) -> None:
        self._records.append(record)  # atomic: a deque's append needs no lock

    def records_sync(self, since: float | None = None) -> list[CallRecord]:
        kept = list(self._records)  # one C call: no append can interleave with the copy
        return kept if since is None else [r for r in kept if r.at >= since]

"""Keep the reservations of calls that are still running from expiring.

A reservation expires after ``reservation_ttl`` so that a crashed process holds budget only that
long. A live process must not lose its hold while its call is still running (a slow reasoning
call can outlast any TTL), or another call could take the money and the budget be overspent.
So every live reservation is extended to ``now + ttl`` once it has used a third of its life:
by one daemon thread for every ledger that answers synchronously (memory, SQLite), by a
timer on the event loop for the others (PostgreSQL, Redis). When the process dies, the
renewals stop and the holds expire as before.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from powertools.cost._ledger import Ledger, SyncLedger

if TYPE_CHECKING:
    import asyncio

    from powertools.cost._budget import Reservation

__all__ = ["Renewals"]


class Renewals:
    """The live ``keep_alive`` reservations of one budget manager, extended before they expire.

    >>> from powertools.cost import MemoryLedger, Reservation
    >>> ledger, now = MemoryLedger(), [0.0]
    >>> renewals = Renewals(ledger, ttl=60.0, clock=lambda: now[0], background=False)
    >>> ledger.reserve_sync("k", 100, 70, "r1", expires_at=60.0, now=0.0)
    True
    >>> running = Reservation("r1", 70, ((None, "k"),), expires_at=60.0)
    >>> renewals.add(running)
    >>> now[0] = 45.0; renewals.renew_sync()  # past a third of its life: now lasts until 105
    1
    >>> now[0] = 90.0; ledger.totals_sync("k", now[0])  # still held after its first expiry
    (0, 70)
    """

    def __init__(
        self,
        ledger: Ledger,
        *,
        ttl: float,
        clock: Callable[[], float],
        background: bool = True,
    ) -> None:
        self.ledger = ledger
        self.sync_ledger = ledger if isinstance(ledger, SyncLedger) else None
        self.ttl = ttl
        self.clock = clock
        self.background = background
        # weak: a reservation nobody holds any more (an abandoned span) is left to expire
        self.live: dict[str, weakref.ref[Reservation]] = {}
        self.watched = False  # by the keeper thread
        self._timers: dict[str, asyncio.TimerHandle] = {}  # async ledgers: the next renewal
        self._tasks: set[asyncio.Task[None]] = set()

    def add(self, reservation: Reservation) -> None:
        """Keep ``reservation`` alive until :meth:`discard`."""
        self.live[reservation.id] = weakref.ref(reservation)
        if not self.background:
            return
        if self.sync_ledger is not None:
            if not self.watched:
                _KEEPER.watch(self)
        else:
            self._schedule(reservation)

    def discard(self, reservation: Reservation) -> None:
        """The call is over: stop renewing its reservation."""
        self.live.pop(reservation.id, None)
        timers = self._timers  # async ledgers only: empty for synchronous ones
        if timers and (timer := timers.pop(reservation.id, None)) is not None:
            timer.cancel()

    def prune(self) -> None:
        """Forget reservations that nobody references any more (abandoned spans)."""
        for rid, ref in list(self.live.items()):
            if ref() is None:
                self.live.pop(rid, None)

    def _due(self, now: float) -> list[Reservation]:
        # renewed once a third of the life is used: two more chances before it would expire
        self.prune()
        return [
            r
            for r in [ref() for ref in list(self.live.values())]
            if r is not None and not r.settled and r.expires_at - now <= self.ttl * 2 / 3
        ]

    def renew_sync(self) -> int:
        """Extend every live reservation that is due; returns how many were extended."""
        assert self.sync_ledger is not None, "renew_sync() needs a synchronous ledger"
        now, renewed = self.clock(), 0
        for r in self._due(now):
            until = now + self.ttl
            kept = [
                self.sync_ledger.extend_sync(key, r.id, expires_at=until, now=now)
                for _, key in r.keys
            ]
            renewed += self._extended(r, until, all(kept))
        return renewed

    async def arenew(self, only: Reservation | None = None) -> int:
        """:meth:`renew_sync` for any ledger (``only``: just that reservation, if due)."""
        now, renewed = self.clock(), 0
        for r in self._due(now) if only is None else [only]:
            if r.settled:
                continue
            until = now + self.ttl
            kept = [
                await self.ledger.extend(key, r.id, expires_at=until, now=now) for _, key in r.keys
            ]
            renewed += self._extended(r, until, all(kept))
        return renewed

    def _extended(self, r: Reservation, until: float, kept: bool) -> int:
        if kept:
            r.expires_at = until
            return 1
        self.live.pop(r.id, None)  # it expired already (the process stalled): nothing to keep
        return 0

    # -- background: an event-loop timer per reservation for async ledgers ------------------

    def _schedule(self, reservation: Reservation, *, at_least: float = 0.0) -> None:
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # reserved outside a loop: nothing can run the renewals
            return
        delay = max(reservation.expires_at - self.clock() - self.ttl * 2 / 3, at_least)
        # the timer holds a weak reference: it must not keep an abandoned span's hold alive
        rid = reservation.id
        handle = loop.call_later(delay, self._renew_soon, rid, weakref.ref(reservation))
        self._timers[rid] = handle

    def _renew_soon(self, rid: str, ref: weakref.ref[Reservation]) -> None:
        import asyncio

        self._timers.pop(rid, None)
        reservation = ref()
        if reservation is None:  # abandoned: forget it (nothing else would), let it expire
            self.live.pop(rid, None)
            return
        if rid not in self.live:
            return
        task = asyncio.get_running_loop().create_task(self._renew_one(reservation))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _renew_one(self, reservation: Reservation) -> None:
        try:
            await self.arenew(reservation)
        except Exception as exc:  # a ledger outage: try again at the next timer
            _failed(exc)
        if reservation.id in self.live:
            # a third of the TTL on, as the keeper thread wakes: after a failure the hold is
            # already due, and a ledger that is down would be asked again on every loop turn
            self._schedule(reservation, at_least=self.ttl / 3)


class _Keeper:
    """One daemon thread renewing the reservations of every synchronous ledger in the process.

    It wakes every third of the shortest TTL it watches. Once started it stays while any
    budget manager it watches is alive, even with no reservation live: a thread that stopped
    whenever its last call ended was started again, at some 100 us, by the next call.
    """

    def __init__(self) -> None:
        self._watched: weakref.WeakSet[Renewals] = weakref.WeakSet()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, renewals: Renewals) -> None:
        with self._wake:
            self._watched.add(renewals)
            renewals.watched = True
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="powertools-cost-renewals", daemon=True
                )
                self._thread.start()
            else:
                self._wake.notify()  # a shorter TTL may need an earlier wake-up

    def step(self) -> list[Renewals] | None:
        """The managers to renew now, or None when none is left to watch (the thread ends)."""
        with self._wake:
            watched = list(self._watched)
            if not watched:
                self._thread = None
                return None
            self._wake.wait(min(r.ttl for r in watched) / 3)
            return list(self._watched)

    def _run(self) -> None:
        while (watched := self.step()) is not None:
            for renewals in watched:
                try:
                    renewals.renew_sync()
                except Exception as exc:  # a ledger outage: try again next time
                    _failed(exc)
            del watched

    def forked(self) -> None:
        """In a forked child the thread is gone: the next reservation starts a new one."""
        self._wake = threading.Condition()
        self._thread = None
        for renewals in list(self._watched):
            renewals.watched = False
        self._watched = weakref.WeakSet()


def _failed(exc: Exception) -> None:
    import logging

    logging.getLogger("powertools.cost").warning(
        "could not extend reservations (retrying before they expire): %s: %s",
        type(exc).__name__,
        exc,
    )


_KEEPER = _Keeper()
os.register_at_fork(after_in_child=_KEEPER.forked)

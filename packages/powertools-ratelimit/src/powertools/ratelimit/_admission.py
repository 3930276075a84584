"""Admission: taking capacity now, or waiting for it in the fair queue (async or blocking).

``RateLimiter`` is built on this class: it holds the queue, the timer that wakes the head of
the queue when its capacity is due, the pump that asks a shared store, and the concurrency
slots. Nothing here is public.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from powertools.ratelimit._gcra import EPSILON, GcraCells
from powertools.ratelimit._limits import DIMENSIONS, Limit
from powertools.ratelimit._scheduler import FairQueue, Waiter, check_priority
from powertools.ratelimit._store import Store
from powertools.ratelimit.errors import RateLimitTimeout

if TYPE_CHECKING:
    from powertools.ratelimit._reservation import Reservation

__all__ = ["Admission"]


class Admission:
    """Capacity taken at once when it is there, else waited for in weighted fair order."""

    name: str
    max_concurrent: int | None

    def __init__(
        self,
        cells: GcraCells,
        store: Store | None,
        clock: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        blocking_sleep: Callable[[float], None],
    ) -> None:
        self._cells = cells
        self._store = store
        self._clock = clock
        self._sleep = sleep
        self._blocking_sleep = blocking_sleep
        self._queue = FairQueue()
        self._in_flight = 0
        self._slot_lock = threading.Lock()
        self._timer: asyncio.Task[None] | None = None
        self._timer_at = math.inf
        self._pump: asyncio.Task[None] | None = None
        self._remote_wait_until = -math.inf
        self._loop: asyncio.AbstractEventLoop | None = None
        self._background: set[asyncio.Task[None]] = set()

    @property
    def limits(self) -> tuple[Limit, ...]:
        """The limits in force (configured, or learnt from the provider)."""
        return self._cells.limits

    # -- taking capacity -------------------------------------------------------------------

    def _size(self, costs: Sequence[float]) -> float:
        return max(
            (costs[_DIM_INDEX[lim.dimension]] * lim.interval for lim in self.limits),
            default=0.0,
        )

    def _take_local(self, costs: Sequence[float], slot: bool, now: float, since: float) -> float:
        """Take ``costs`` (and a slot) at ``now``, counted from ``since`` (see ``try_take``)."""
        if slot:
            with self._slot_lock:
                if self._in_flight >= (self.max_concurrent or 0):
                    return math.inf
                wait = self._cells.try_take(now, costs, since)
                if wait == 0.0:
                    self._in_flight += 1
                return wait
        return self._cells.try_take(now, costs, since)

    def _claim_slot(self) -> bool:
        with self._slot_lock:
            if self._in_flight >= (self.max_concurrent or 0):
                return False
            self._in_flight += 1
            return True

    async def _take_remote(
        self, store: Store, costs: Sequence[float], slot: bool, late: float = 0.0
    ) -> float:
        if slot and not self._claim_slot():
            return math.inf
        try:
            wait = await store.atake(self.name, self.limits, costs, self._cells.scale, late)
        except BaseException:
            if slot:
                self._release_slot()
            raise
        return self._took_remote(wait, costs, slot)

    def _take_remote_blocking(
        self, store: Store, costs: Sequence[float], slot: bool, late: float
    ) -> float:
        if slot and not self._claim_slot():
            return math.inf
        try:
            wait = store.take(self.name, self.limits, costs, self._cells.scale, late)
        except BaseException:
            if slot:
                self._release_slot()
            raise
        return self._took_remote(wait, costs, slot)

    def _took_remote(self, wait: float, costs: Sequence[float], slot: bool) -> float:
        if wait > 0.0:
            self._remote_wait_until = self._clock() + wait
            if slot:
                self._release_slot()
        else:  # mirror this process's share locally, for estimate_wait() and stats()
            self._cells.adjust(self._clock(), costs)
        return wait

    def _give_back(self, costs: Sequence[float], slot: bool) -> None:
        self._adjust(tuple(-c for c in costs))
        if slot:
            self._release_slot()

    def _adjust(self, deltas: Sequence[float]) -> asyncio.Task[None] | None:
        """Charge or refund; with a store, in the background (async) or at once (blocking)."""
        self._cells.adjust(self._clock(), deltas)
        store = self._store
        if store is None:
            self._kick()
            return None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a blocking caller: one round trip now
            store.adjust(self.name, self.limits, deltas, self._cells.scale)
            return None
        task = loop.create_task(store.aadjust(self.name, self.limits, deltas, self._cells.scale))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _release_slot(self) -> None:
        with self._slot_lock:
            self._in_flight -= 1
        if len(self._queue):
            self._kick()

    # -- async waiting ---------------------------------------------------------------------

    async def _acquire_async(self, r: Reservation) -> None:
        costs = r._costs
        if not len(self._queue):
            if self._store is None:
                now = self._clock()
                wait = self._take_local(costs, r._slot, now, now)
            elif self._pump is None:
                wait = await self._take_remote(self._store, costs, r._slot)
            else:
                wait = math.inf
            if wait == 0.0:
                return
        await self._wait_in_queue(r, costs)

    async def _wait_in_queue(self, r: Reservation, costs: Sequence[float]) -> None:
        self._loop = loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        waiter = self._queue.push(
            Waiter(fut, costs, r._slot, (r.key, r.priority), self._size(costs), self._clock()),
            check_priority(r.priority),
        )
        self._kick()
        try:
            if r.timeout is None:
                await fut
            else:
                await self._await_with_timeout(fut, r.timeout)
        except BaseException:
            if fut.done() and not fut.cancelled():
                if fut.exception() is None:
                    self._give_back(costs, r._slot)
            else:
                fut.cancel()
                self._queue.discard(waiter)
            self._kick()
            raise

    async def _await_with_timeout(
        self,
        fut: asyncio.Future[None],
        timeout: float,  # noqa: ASYNC109 - timed on the injected clock
    ) -> None:
        if not fut.done() and timeout > 0:
            timer = asyncio.ensure_future(self._sleep(timeout))
            try:
                await asyncio.wait((fut, timer), return_when=asyncio.FIRST_COMPLETED)
            finally:
                timer.cancel()
        if not fut.done():
            raise RateLimitTimeout(
                f"no capacity within timeout={timeout:g}s: raise the timeout, lower the cost, "
                "or check would_wait_longer_than() first"
            )
        fut.result()

    def _kick(self) -> None:
        """Serve the head of the queue now, or arrange to when it can be."""
        if not len(self._queue):
            return
        loop = self._loop
        if loop is not None and not _in_loop(loop):
            loop.call_soon_threadsafe(self._kick)
        elif self._store is None:
            self._dispatch_local()
        elif self._pump is None and loop is not None:
            self._pump = loop.create_task(self._pump_remote(self._store))

    def _dispatch_local(self, due: float = math.inf) -> None:
        """Admit waiters from the head while they fit; else set the timer for the head.

        While the queue is backed up, the head's turn comes at a moment known in advance,
        the timer's ``due`` time; the timer fires some time after it (the event loop's
        lateness). Waiters admitted now are counted as arriving at their due time rather
        than now (``GcraCells.try_take``), so the lateness is not lost capacity: over a
        backlog the limiter admits exactly rate x time (+ burst). The credit never reaches
        back before the due time nor before a waiter queued, so a window of the wall clock
        holds at most what the limit allows plus the lateness of one wake-up.
        """
        queue = self._queue
        now = self._clock()
        since = min(due, self._timer_at, now)  # a late timer still pending counts too
        while (head := queue.head()) is not None:
            wait = self._take_local(head.costs, head.slot, now, max(since, head.since))
            if wait > 0.0:
                if wait != math.inf:
                    self._wake_in(now, wait)
                return
            queue.pop()
            head.future.set_result(None)

    def _wake_in(self, now: float, delay: float) -> None:
        at = now + delay
        if self._timer is not None and not self._timer.done() and self._timer_at <= at + EPSILON:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = at
        self._timer = asyncio.get_running_loop().create_task(self._wake_after(delay))

    async def _wake_after(self, delay: float) -> None:
        await self._sleep(delay)
        due = self._timer_at
        self._timer = None
        self._timer_at = math.inf
        self._dispatch_local(due)

    async def _pump_remote(self, store: Store) -> None:
        queue = self._queue
        # when the head's capacity was due, after a sleep for it: the heads served after the
        # wake-up may count from then, as in _dispatch_local (never before it)
        due = math.inf
        try:
            while (head := queue.head()) is not None:
                late = max(self._clock() - due, 0.0)
                try:
                    wait = await self._take_remote(store, head.costs, head.slot, late)
                except Exception as exc:  # the store's "closed" policy: the head gets it
                    if not head.future.done():
                        queue.pop()
                        head.future.set_exception(exc)
                    continue
                if wait == 0.0:
                    if head.future.done():  # cancelled while the store answered
                        self._give_back(head.costs, head.slot)
                    else:
                        queue.pop()
                        head.future.set_result(None)
                elif wait != math.inf:
                    due = self._clock() + wait
                    await self._sleep(wait)
                else:
                    return  # concurrency-bound: a release kicks a new pump
        finally:
            self._pump = None

    # -- blocking waiting ------------------------------------------------------------------

    def _acquire_sync(self, r: Reservation) -> None:
        costs = r._costs
        store = self._store
        now = due = self._clock()
        deadline = math.inf if r.timeout is None else now + r.timeout
        while True:
            if len(self._queue):  # async waiters queued: let them go first
                wait = 0.001
            elif store is None:
                # counted as arriving when it fitted, if that was after the sleep was planned
                # to end: the sleep's lateness is no lost capacity (see _dispatch_local)
                wait = self._take_local(costs, r._slot, now, due)
            else:
                wait = self._take_remote_blocking(store, costs, r._slot, now - due)
            if wait == 0.0:
                return
            if now >= deadline:
                raise RateLimitTimeout(
                    f"no capacity within timeout={r.timeout:g}s: raise the timeout, lower the "
                    "cost, or check would_wait_longer_than() first"
                )
            # a store's wait is exact (its next round trip then succeeds unless another
            # process took the capacity); locally, short naps notice slots and queues
            nap = min(
                wait if store is not None and wait != math.inf else min(wait, 0.05), deadline - now
            )
            self._blocking_sleep(nap)
            due = now + nap
            now = self._clock()


_DIM_INDEX = {name: i for i, name in enumerate(DIMENSIONS)}


def _in_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False

"""Admission: taking capacity now, or waiting for it in the fair queue (async or blocking).

``Admission`` is the ``Gate`` of every reservation and the base of ``RateLimiter``: it holds
the cells, the queue, the timer that wakes the head of the queue when its capacity is due,
the pump that asks a shared store, and the concurrency slots. Async and blocking callers wait
in the same queue, by the same priorities; whoever is running serves its head — the event
loop's timer or pump, or a blocking caller between its naps. Nothing here is public.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import math
import threading
import time
from collections.abc import Awaitable, Callable, Sequence

from powertools.ratelimit._gcra import EPSILON, GcraCells
from powertools.ratelimit._limits import DIMENSIONS, Limit
from powertools.ratelimit._reservation import Reservation
from powertools.ratelimit._scheduler import FairQueue, Grant, Waiter, check_priority
from powertools.ratelimit._store import Store
from powertools.ratelimit.errors import BlockingCallError, RateLimitTimeout

__all__ = ["Admission"]

#: How often a blocking caller looks again when it cannot know when its turn comes (a
#: concurrency slot, or a store served by the event loop): a grant wakes it at once anyway.
POLL_SECONDS = 0.05


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
        self._queue = FairQueue(on_change=self._reopen)
        self._lock = threading.RLock()  # the queue and whoever serves it
        self._in_flight = 0
        self._slot_lock = threading.Lock()
        self._timer: asyncio.Task[None] | None = None
        self._timer_at = math.inf
        self._pump: asyncio.Task[None] | None = None
        self._serving = False  # a blocking caller serves the queue through the store
        self._remote_wait_until = -math.inf
        # a provider's pause (RateLimiter.observe) per dimension: a store's cells never hear
        # of it, so the calls through a store wait it out here
        self._paused_until = [-math.inf] * len(DIMENSIONS)
        self._pause_end = -math.inf
        self._loop: asyncio.AbstractEventLoop | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._fast = store is None  # the uncontended path may take from the cells at once
        self._recheck = math.inf  # the longest a queued head sleeps before a new look
        self.now = clock
        self.take_now: Callable[[float, Sequence[float]], float] = _refuse
        self._reopen()

    @property
    def limits(self) -> tuple[Limit, ...]:
        """The limits in force (configured, or learnt from the provider)."""
        return self._cells.limits

    # -- the gate: what a reservation is admitted by ----------------------------------------

    def _reopen(self) -> None:
        """Point ``take_now`` at the cells while nothing stands in their way, else refuse.

        The one uncontended path is a single call: whatever would make a caller wait in line
        (someone queued, a shared store, concurrency slots, a recovering rate) closes it, and
        whoever changes one of those calls this.
        """
        if self._fast and self.max_concurrent is None and not self._queue._live:
            self.take_now = self._cells.try_take
        else:
            self.take_now = _refuse

    async def await_turn(self, r: Reservation) -> None:
        """Take ``r``'s cost now if nobody waits, else wait in line (async callers)."""
        self._refresh_rate()
        costs, slot = r.costs, r.slot
        if not self._queue._live:
            store = self._store
            if store is None:
                now = self._clock()
                wait = self._take_local(costs, slot, now, now)
            elif self._pump is None and not self._serving:
                wait = await self._take_remote(store, costs, slot)
            else:
                wait = math.inf
            if wait == 0.0:
                return
            _fail_fast(wait, r.timeout)
        await self._wait_in_queue(r)

    def block_for_turn(self, r: Reservation) -> None:
        """``await_turn`` for blocking callers: the same queue and priorities, by naps."""
        self._refresh_rate()
        costs, slot = r.costs, r.slot
        wait = 0.0  # nobody asked yet: serve the queue at once
        if not self._queue._live:
            store = self._store
            if store is None:
                now = self._clock()
                wait = self._take_local(costs, slot, now, now)
            else:
                wait = self._take_remote_blocking(store, costs, slot, 0.0)
            if wait == 0.0:
                return
            _fail_fast(wait, r.timeout)
        elif r.timeout == 0:
            _fail_fast(math.inf, 0.0)
        _refuse_on_loop_thread(self.name)
        fut: concurrent.futures.Future[None] = concurrent.futures.Future()
        waiter = self._enqueue(fut, r)
        self._kick_loop()
        try:
            self._block_until_served(waiter, wait)
        except BaseException:
            self._leave(waiter)
            raise

    def release_slot(self) -> None:
        """Give back one concurrency slot and serve whoever waited for it."""
        with self._slot_lock:
            self._in_flight -= 1
        if self._queue._live:
            self._kick()

    def charge(self, deltas: Sequence[float]) -> asyncio.Task[None] | None:
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

    def _refresh_rate(self) -> None:
        """Bring learnt rates up to date before a wait (``RateLimiter`` recovers after 429s)."""

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

    def _pause(self, dimension: str | None, until: float) -> None:
        """Admit nothing through the store in ``dimension`` (every one if None) before ``until``."""
        for i, name in enumerate(DIMENSIONS):
            if (dimension is None or name == dimension) and any(
                lim.dimension == name for lim in self.limits
            ):  # as GcraCells.block_until: a dimension without a limit is not held back
                self._paused_until[i] = max(self._paused_until[i], until)
                self._pause_end = max(self._pause_end, until)

    def _paused(self, costs: Sequence[float]) -> float:
        """Seconds a provider's pause still holds ``costs`` back (0: none)."""
        now = self._clock()
        if now >= self._pause_end:
            return 0.0
        return max(
            (until - now for until, cost in zip(self._paused_until, costs, strict=True) if cost),
            default=0.0,
        )

    async def _take_remote(
        self, store: Store, costs: Sequence[float], slot: bool, late: float = 0.0
    ) -> float:
        if (paused := self._paused(costs)) > 0.0:
            return paused
        if slot and not self._claim_slot():
            return math.inf
        try:
            wait = await store.atake(self.name, self.limits, costs, self._cells.scale, late)
        except BaseException:
            if slot:
                self.release_slot()
            raise
        return self._took_remote(wait, costs, slot)

    def _take_remote_blocking(
        self, store: Store, costs: Sequence[float], slot: bool, late: float
    ) -> float:
        if (paused := self._paused(costs)) > 0.0:
            return paused
        if slot and not self._claim_slot():
            return math.inf
        try:
            wait = store.take(self.name, self.limits, costs, self._cells.scale, late)
        except BaseException:
            if slot:
                self.release_slot()
            raise
        return self._took_remote(wait, costs, slot)

    def _took_remote(self, wait: float, costs: Sequence[float], slot: bool) -> float:
        if wait > 0.0:
            self._remote_wait_until = self._clock() + wait
            if slot:
                self.release_slot()
        else:  # mirror this process's share locally, for stats()
            self._cells.adjust(self._clock(), costs)
        return wait

    def _give_back(self, costs: Sequence[float], slot: bool) -> None:
        self.charge(tuple(-c for c in costs))
        if slot:
            self.release_slot()

    # -- the queue -------------------------------------------------------------------------

    def _enqueue(self, future: Grant, r: Reservation) -> Waiter:
        now = self._clock()
        deadline = math.inf if r.timeout is None else now + r.timeout
        costs = r.costs
        waiter = Waiter(
            future, costs, r.slot, (r.tenant, r.priority), self._size(costs), now, deadline
        )
        with self._lock:
            self._queue.push(waiter, check_priority(r.priority))
        return waiter

    def _serve(self, waiter: Waiter, error: BaseException | None) -> bool:
        """Take the waiter out of line and tell it: admitted (``error`` None) or refused.

        False if it had left the line already (while a store answered): nobody was told.
        """
        with self._lock:
            if waiter.served or waiter.future.done():
                return False
            self._queue.serve(waiter)
            waiter.granted = error is None
        fut = waiter.future
        loop = self._loop
        if isinstance(fut, asyncio.Future) and loop is not None and not _in_loop(loop):
            loop.call_soon_threadsafe(_tell, fut, error)
        else:
            _tell(fut, error)
        return True

    def _leave(self, waiter: Waiter) -> None:
        """A waiter's caller gave up (timeout, cancellation): nothing stays taken."""
        fut = waiter.future
        with self._lock:
            granted, served = waiter.granted, waiter.served
            waiter.granted = False
            if not served:
                fut.cancel()
                self._queue.discard(waiter)
            elif fut.done() and not fut.cancelled() and not granted:
                with contextlib.suppress(BaseException):  # refused as its caller left: seen
                    fut.result()
        if granted:  # admitted, but too late for its caller: the capacity goes back
            self._give_back(waiter.costs, waiter.slot)
        self._kick()

    def _after_take(self, head: Waiter, wait: float) -> float:
        """After a take for ``head``: admit it (0), refuse it at once (0), or the wait."""
        if wait == 0.0:
            if not self._serve(head, None):  # it left while the store answered
                self._give_back(head.costs, head.slot)
            return 0.0
        if wait != math.inf and self._clock() + wait > head.deadline + EPSILON:
            self._serve(
                head, _too_late(wait, head.deadline - head.since)
            )  # its timeout passes before the capacity
            return 0.0
        return wait

    # -- async waiting ---------------------------------------------------------------------

    async def _wait_in_queue(self, r: Reservation) -> None:
        self._loop = loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        waiter = self._enqueue(fut, r)
        self._kick()
        try:
            if r.timeout is None:
                await fut
            else:
                await self._await_with_timeout(fut, r.timeout)
        except BaseException:
            self._leave(waiter)
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
        if not self._queue._live:
            return
        loop = self._loop
        if loop is not None and not _in_loop(loop):
            if not loop.is_closed():
                loop.call_soon_threadsafe(self._kick)
                return
            self._loop = loop = None  # its asyncio.run ended: blocking callers serve alone
        if self._store is None:
            wait = self._dispatch_local()
            if loop is not None and 0.0 < wait < math.inf:
                self._wake_in(self._clock(), wait)
        elif loop is not None and self._pump is None and not self._serving:
            self._pump = loop.create_task(self._pump_remote(self._store))

    def _kick_loop(self) -> None:
        """Let an event loop in another thread look at the queue again (its head changed)."""
        loop = self._loop
        if loop is not None and not loop.is_closed() and not _in_loop(loop):
            loop.call_soon_threadsafe(self._kick)

    def _dispatch_local(self, due: float = math.inf) -> float:
        """Admit waiters from the head while they fit; return the head's wait (0: none left).

        While the queue is backed up, the head's turn comes at a moment known in advance,
        the timer's ``due`` time; the timer fires some time after it (the event loop's
        lateness). Waiters admitted now are counted as arriving at their due time rather
        than now (``GcraCells.try_take``), so the lateness is not lost capacity: over a
        backlog the limiter admits exactly rate x time (+ burst). The credit never reaches
        back before the due time nor before a waiter queued, so a window of the wall clock
        holds at most what the limit allows plus the lateness of one wake-up.
        """
        with self._lock:
            queue = self._queue
            now = self._clock()
            since = min(due, self._timer_at, now)  # a late timer still pending counts too
            while (head := queue.head()) is not None:
                wait = self._take_local(head.costs, head.slot, now, max(since, head.since))
                if self._after_take(head, wait):
                    return wait
            return 0.0

    def _wake_in(self, now: float, delay: float) -> None:
        at = now + min(delay, self._recheck)
        if self._timer is not None and not self._timer.done() and self._timer_at <= at + EPSILON:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = at
        self._timer = asyncio.get_running_loop().create_task(self._wake_after(at - now))

    async def _wake_after(self, delay: float) -> None:
        await self._sleep(delay)
        due = self._timer_at
        self._timer = None
        self._timer_at = math.inf
        self._refresh_rate()
        wait = self._dispatch_local(due)
        if 0.0 < wait < math.inf:
            self._wake_in(self._clock(), wait)

    async def _pump_remote(self, store: Store) -> None:
        # when the head's capacity was due, after a sleep for it: the heads served after the
        # wake-up may count from then, as in _dispatch_local (never before it)
        due = math.inf
        try:
            while (head := self._queue.head()) is not None:
                late = max(self._clock() - due, 0.0)
                try:
                    wait = await self._take_remote(store, head.costs, head.slot, late)
                except Exception as exc:  # the store's "closed" policy: the head gets it
                    self._serve(head, exc)
                    continue
                wait = self._after_take(head, wait)
                if wait == math.inf:
                    return  # concurrency-bound: a release kicks a new pump
                if wait:
                    due = self._clock() + wait
                    await self._sleep(min(wait, self._recheck))
                    self._refresh_rate()
        finally:
            self._pump = None

    # -- blocking waiting ------------------------------------------------------------------

    def _block_until_served(self, waiter: Waiter, wait: float) -> None:
        """Nap and serve until ``waiter`` is told; ``wait``: what the first ask said."""
        fut = waiter.future
        due = self._clock()
        if 0.0 < wait < math.inf:  # the store (or the cells) just said how long: nap first
            self._nap(fut, min(wait, waiter.deadline - due))
            due += wait
        while True:
            wait = self._serve_blocking(due)
            if fut.done():
                fut.result()  # raises the refusal, if any
                return
            now = self._clock()
            if now >= waiter.deadline:
                raise RateLimitTimeout(
                    f"no capacity within timeout={waiter.deadline - waiter.since:g}s: raise "
                    "the timeout, lower the cost, or check would_wait_longer_than() first"
                )
            nap = min(wait if 0.0 < wait < math.inf else POLL_SECONDS, waiter.deadline - now)
            self._nap(fut, nap)
            due = now + nap

    def _serve_blocking(self, due: float) -> float:
        """Serve the head from this thread; the head's wait, or a poll if the loop serves."""
        store = self._store
        if store is None:
            wait = self._dispatch_local(due)
            self._kick_loop()  # the head served, or still waiting: the loop looks again either way
            return wait
        with self._lock:
            if self._pump is not None or self._serving:
                return math.inf  # the event loop's pump serves the queue
            self._serving = True
        try:
            return self._serve_remote_blocking(store, due)
        finally:
            with self._lock:
                self._serving = False
            self._kick_loop()

    def _serve_remote_blocking(self, store: Store, due: float) -> float:
        while (head := self._queue.head()) is not None:
            late = max(self._clock() - due, 0.0)
            try:
                wait = self._take_remote_blocking(store, head.costs, head.slot, late)
            except Exception as exc:  # the store's "closed" policy: the head gets it
                self._serve(head, exc)
                continue
            wait = self._after_take(head, wait)
            if wait:
                return wait
        return 0.0

    def _nap(self, fut: Grant, seconds: float) -> None:
        if self._blocking_sleep is time.sleep:  # the real clock: a grant ends the nap early
            concurrent.futures.wait((fut,), timeout=seconds)  # type: ignore[arg-type]
        else:
            self._blocking_sleep(seconds)


_DIM_INDEX = {name: i for i, name in enumerate(DIMENSIONS)}


def _in_loop(loop: asyncio.AbstractEventLoop) -> bool:
    return asyncio._get_running_loop() is loop


def _tell(fut: Grant, error: BaseException | None) -> None:
    if fut.done():  # cancelled while a thread-safe call was on its way
        return
    if error is None:
        fut.set_result(None)
    else:
        fut.set_exception(error)


def _too_late(wait: float, timeout: float) -> RateLimitTimeout:
    return RateLimitTimeout(
        f"the limits have room for this call in {wait:.3g} s, after its timeout={timeout:g}s: "
        "nothing was taken; go elsewhere now, or retry with a longer timeout",
        retry_after=wait,
    )


def _refuse(now: float, costs: Sequence[float]) -> float:
    """``take_now`` of a closed gate: take nothing, so the caller goes the way of the queue."""
    return math.inf


def _fail_fast(wait: float, timeout: float | None) -> None:
    """Refuse at once when the capacity is known to come after the caller's timeout."""
    if timeout is None:
        return
    if timeout == 0 and wait > 0.0:
        raise RateLimitTimeout(
            "no capacity now and timeout=0 (a try): wait, or check would_wait_longer_than()",
            retry_after=None if wait == math.inf else wait,
        )
    if wait != math.inf and wait > timeout + EPSILON:
        raise _too_late(wait, timeout)


def _refuse_on_loop_thread(name: str) -> None:
    if asyncio._get_running_loop() is not None:
        raise BlockingCallError(
            f"limiter {name!r}: a blocking acquire (`with limiter.acquire()`, or a decorated "
            "sync function) would wait on the event loop's own thread, which serves the "
            "waiters ahead of it: use `async with limiter.acquire(...)` in async code, or run "
            "the blocking function in a thread (`await asyncio.to_thread(f)`)"
        )

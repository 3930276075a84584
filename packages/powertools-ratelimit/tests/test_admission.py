"""Admission under a backlog: wake-ups that come late lose no capacity and add no burst.

(After these, the queue's other paths: concurrency slots, a store that fails or answers late,
blocking callers timing out, or serving async waiters from their own thread.)

The clock here is a ``FakeClock`` whose sleeps end late by random amounts, as a busy event
loop's timers do. With a backlog from time 0 and ``burst`` B, rate r (interval T = 1/r), the
k-th admission (k = 0, 1, ...) is due at ``d_k = max(0, k - B + 1) * T``. The property pinned:

    d_k <= admitted_k <= d_k + L          (L: the largest lateness of one wake-up)

The left side is conformance (nothing before its due time); the right side is exactness (the
lateness of one wake-up is never carried into the next, so it does not accumulate). Both
together give, for N seconds of backlog, exactly ``r * N + B`` admissions due by N, all of
them admitted by ``N + L``, and at most ``B + r * (w + L)`` in any window of w seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from powertools.ratelimit import (
    Limit,
    MemoryStore,
    RateLimiter,
    RateLimitTimeout,
    StoreUnavailableError,
)
from powertools.ratelimit.testing import FakeClock

TOLERANCE = 1e-6  # float sums over hundreds of intervals


class LateClock(FakeClock):
    """A fake clock whose sleeps (async and blocking) end up to ``lateness`` seconds late."""

    def __init__(self, lateness: float, rng: Callable[[], float]) -> None:
        super().__init__()
        self.lateness = lateness
        self._rng = rng

    def late(self) -> float:
        return self.lateness * self._rng()

    async def wait(self, seconds: float) -> None:
        await super().wait(seconds + self.late())

    def blocking_sleep(self, seconds: float) -> None:
        super().blocking_sleep(seconds + self.late())


def due_times(count: int, rate: float, burst: int) -> list[float]:
    return [max(0, k - burst + 1) / rate for k in range(count)]


def most_in_window(times: list[float], window: float) -> int:
    return max((sum(1 for t in times[i:] if t < start + window) for i, start in enumerate(times)))


def limiter_on(
    clock: LateClock, rate: int, burst: int, store: MemoryStore | None = None
) -> RateLimiter:
    return RateLimiter(
        requests_per_second=rate,
        tokens_per_second=rate * 10,  # both dimensions bind: 10 tokens per request
        burst={"requests_per_second": burst, "tokens_per_second": burst * 10},
        store=store,
        clock=clock,
        sleep=clock.wait,
        blocking_sleep=clock.blocking_sleep,
    )


async def backlog(
    clock: LateClock, limiter: RateLimiter, seconds: int, waiters: int
) -> list[float]:
    admitted: list[float] = []

    async def one() -> None:
        async with limiter.acquire(tokens=10):
            admitted.append(clock())

    tasks = [asyncio.create_task(one()) for _ in range(waiters)]
    await clock.aadvance(seconds + clock.lateness + TOLERANCE)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return admitted


@settings(deadline=None, max_examples=100)
@given(
    rate=st.integers(min_value=2, max_value=40),
    burst=st.integers(min_value=1, max_value=5),
    seconds=st.integers(min_value=1, max_value=4),
    lateness_in_intervals=st.floats(min_value=0, max_value=3),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    shared=st.booleans(),
)
def test_a_backlog_with_late_wake_ups_admits_exactly_the_limit(
    rate: int, burst: int, seconds: int, lateness_in_intervals: float, seed: int, shared: bool
) -> None:
    """In process, and through a store (the waiters' pump passes its sleep's lateness)."""
    lateness = lateness_in_intervals / rate  # up to three intervals late per wake-up
    clock = LateClock(lateness, random.Random(seed).random)
    limiter = limiter_on(clock, rate, burst, MemoryStore(clock=clock) if shared else None)
    expected = rate * seconds + burst  # due by `seconds`
    admitted = asyncio.run(backlog(clock, limiter, seconds, waiters=expected + 3 * rate))

    due = due_times(len(admitted), rate, burst)
    for at, due_at in zip(admitted, due, strict=True):
        assert due_at - TOLERANCE <= at <= due_at + lateness + TOLERANCE
    assert sum(1 for at in admitted if at <= seconds + TOLERANCE) <= expected
    assert sum(1 for d in due if d <= seconds + TOLERANCE) >= expected  # all admitted by N + L
    for window in (0.1, 1.0):
        bound = burst + rate * (window + lateness)
        assert most_in_window(admitted, window) <= bound + TOLERANCE


@settings(deadline=None, max_examples=100)
@given(
    rate=st.integers(min_value=2, max_value=40),
    burst=st.integers(min_value=1, max_value=5),
    count=st.integers(min_value=1, max_value=120),
    lateness_in_intervals=st.floats(min_value=0, max_value=3),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    shared=st.booleans(),
)
def test_blocking_callers_lose_nothing_to_late_sleeps_either(
    rate: int, burst: int, count: int, lateness_in_intervals: float, seed: int, shared: bool
) -> None:
    """A caller that blocks is admitted within one sleep's lateness of when it first fits.

    The reference is the GCRA fed with the times the calls were made: the k-th call, made at
    ``s_k``, fits at ``e_k = max(s_k, tat - (B - 1) * T)``, after which ``tat = max(tat, e_k)
    + T``. Polling sleeps that overshoot ``e_k`` do not push the next call's ``e`` later.
    """
    lateness = lateness_in_intervals / rate
    clock = LateClock(lateness, random.Random(seed).random)
    limiter = limiter_on(clock, rate, burst, MemoryStore(clock=clock) if shared else None)
    interval = 1 / rate
    tat = 0.0
    for _ in range(count):
        called = clock()
        with limiter.acquire(tokens=10):
            admitted = clock()
        fits = max(called, tat - (burst - 1) * interval)
        assert fits - TOLERANCE <= admitted <= fits + lateness + TOLERANCE
        tat = max(tat, fits) + interval


def test_without_the_credit_the_lateness_would_accumulate() -> None:
    """The property above can fail: wake-ups always late by half an interval, 20 times."""
    clock = LateClock(0.05, lambda: 1.0)
    limiter = limiter_on(clock, rate=10, burst=1)
    admitted = asyncio.run(backlog(clock, limiter, seconds=2, waiters=30))
    # without due-time accounting each wake-up would start 0.15 s after the last: the 21st
    # (due at 2.0) would come at 3.0 s, and only 14 would be admitted by 2.0 s
    assert 2.0 - TOLERANCE <= admitted[20] <= 2.05 + TOLERANCE
    assert len([at for at in admitted if at <= 2.0 + TOLERANCE]) == 20


async def test_a_waiter_held_up_by_concurrency_gets_no_credit_for_the_time_held() -> None:
    """The credit covers a timer's lateness only: capacity idle while slots were full is gone."""
    clock = FakeClock()
    limiter = RateLimiter(requests_per_second=10, max_concurrent=1, clock=clock, sleep=clock.wait)
    holder = await limiter.acquire()  # the only slot, held for 5 s
    admitted: list[float] = []

    async def one() -> None:
        async with limiter.acquire():
            admitted.append(clock())

    tasks = [asyncio.create_task(one()) for _ in range(20)]
    await clock.aadvance(5.0)
    assert not admitted
    holder.release()
    await clock.aadvance(3.0)
    await asyncio.gather(*tasks)
    assert admitted[0] == 5.0
    gaps = [later - earlier for earlier, later in itertools.pairwise(admitted)]
    assert min(gaps) >= 0.1 - TOLERANCE  # spaced by the rate: no catch-up burst


# -- the queue's other paths: slots, a failing or slow store, blocking callers -------------


class FlakyStore(MemoryStore):
    """A ``MemoryStore`` that refuses every take while ``down`` (a store on_failure="closed")."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock=clock)
        self.down = False

    def take(
        self,
        name: str,
        limits: Sequence[Limit],
        costs: Sequence[float],
        scale: float,
        late: float = 0.0,
    ) -> float:
        if self.down:
            raise StoreUnavailableError("the store is down")
        return super().take(name, limits, costs, scale, late)


class SlowStore(MemoryStore):
    """A ``MemoryStore`` whose ``atake`` call ``slow_call`` answers once ``answer`` is set."""

    def __init__(self, clock: FakeClock, slow_call: int) -> None:
        super().__init__(clock=clock)
        self.calls = 0
        self.slow_call = slow_call
        self.answer = asyncio.Event()

    async def atake(
        self,
        name: str,
        limits: Sequence[Limit],
        costs: Sequence[float],
        scale: float,
        late: float = 0.0,
    ) -> float:
        self.calls += 1
        if self.calls == self.slow_call:
            await self.answer.wait()
        return self.take(name, limits, costs, scale, late)


def on_clock(clock: FakeClock, **options: Any) -> RateLimiter:
    return RateLimiter(
        clock=clock, sleep=clock.wait, blocking_sleep=clock.blocking_sleep, **options
    )


async def test_a_failing_store_gives_the_slot_back_to_async_callers() -> None:
    clock = FakeClock()
    store = FlakyStore(clock)
    limiter = on_clock(clock, name="flaky", max_concurrent=1, store=store)
    store.down = True
    with pytest.raises(StoreUnavailableError, match="down"):
        await limiter.acquire()
    store.down = False
    async with limiter.acquire(timeout=0) as r:  # the only slot is free: the error took none
        assert r.held


def test_a_failing_store_gives_the_slot_back_to_blocking_callers() -> None:
    clock = FakeClock()
    store = FlakyStore(clock)
    limiter = on_clock(clock, name="flaky", max_concurrent=1, store=store)
    store.down = True
    with pytest.raises(StoreUnavailableError, match="down"), limiter.acquire():
        pass
    store.down = False
    with limiter.acquire(timeout=0) as r:
        assert r.held
        with pytest.raises(RateLimitTimeout, match="timeout=0"), limiter.acquire(timeout=0):
            pass  # the slot is held: a try through the store is refused at once


async def test_a_queued_caller_gets_the_stores_failure() -> None:
    clock = FakeClock()
    store = FlakyStore(clock)
    limiter = on_clock(clock, name="flaky", requests_per_second=1, store=store)
    await limiter.acquire()
    queued = asyncio.create_task(limiter.acquire().__aenter__())
    await clock.settle()  # the pump asked the store: due in 1 s
    store.down = True
    await clock.aadvance(1.0)
    with pytest.raises(StoreUnavailableError, match="down"):
        await queued
    assert limiter.queued == 0
    store.down = False
    await limiter.acquire(timeout=0)  # the failed call took nothing


def test_a_queued_blocking_caller_gets_the_stores_failure() -> None:
    clock = FakeClock()
    store = FlakyStore(clock)

    def nap(seconds: float) -> None:
        store.down = True  # the store goes down while the caller waits for its turn
        clock.blocking_sleep(seconds)

    limiter = RateLimiter(
        name="flaky", requests_per_second=1, store=store, clock=clock, blocking_sleep=nap
    )
    with limiter.acquire():
        pass
    with pytest.raises(StoreUnavailableError, match="down"), limiter.acquire():
        pass
    assert (clock(), limiter.queued) == (1.0, 0)


def test_a_blocking_caller_waits_again_when_the_fleet_took_its_turn() -> None:
    clock = FakeClock()
    store = MemoryStore(clock=clock)
    naps: list[float] = []

    def nap(seconds: float) -> None:
        clock.blocking_sleep(seconds)
        if not naps:  # another process takes the capacity this caller waited for
            assert store.take("fleet", here.limits, (1, 0, 0, 0), 1.0) == 0.0
        naps.append(seconds)

    here = RateLimiter(
        name="fleet", requests_per_second=1, store=store, clock=clock, blocking_sleep=nap
    )
    with here.acquire():
        pass
    with here.acquire():
        admitted = clock()
    assert admitted == pytest.approx(2.0)  # after the other process's turn at 1.0
    assert naps == pytest.approx([1.0, 1.0])


def test_a_blocking_caller_waiting_for_a_slot_times_out_and_leaves_the_line() -> None:
    clock = FakeClock()
    limiter = on_clock(clock, max_concurrent=1)
    with limiter.acquire():
        with (
            pytest.raises(RateLimitTimeout, match=r"no capacity within timeout=0\.5s"),
            limiter.acquire(timeout=0.5),
        ):
            pass
        assert clock() == pytest.approx(0.5)
        assert limiter.queued == 0
    with limiter.acquire(timeout=0):  # nothing was left taken
        pass


async def test_an_async_caller_waiting_for_a_slot_times_out_and_leaves_the_line() -> None:
    clock = FakeClock()
    limiter = on_clock(clock, max_concurrent=1)
    holder = await limiter.acquire()
    waiting = asyncio.create_task(limiter.acquire(timeout=0.5).__aenter__())
    await clock.aadvance(0.5)
    with pytest.raises(RateLimitTimeout, match=r"no capacity within timeout=0\.5s"):
        await waiting
    assert limiter.queued == 0
    holder.release()
    await limiter.acquire(timeout=0)  # nothing was left taken


async def test_a_waiter_admitted_as_it_is_cancelled_gives_back_its_slot_and_capacity() -> None:
    clock = FakeClock()
    limiter = on_clock(clock, requests_per_second=1, max_concurrent=1)
    (await limiter.acquire()).release()
    task = asyncio.create_task(limiter.acquire().__aenter__())
    await clock.settle()
    clock.now = 1.0
    limiter.observe({})  # a response comes in: the line is served, the task not yet resumed
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    async with limiter.acquire(timeout=0) as r:  # the slot and the rate's capacity came back
        assert r.held


class GatedStore(MemoryStore):
    """A ``MemoryStore`` whose blocking take number ``slow_call`` waits until ``answer`` is set."""

    def __init__(self, clock: FakeClock, slow_call: int) -> None:
        super().__init__(clock=clock)
        self.calls = 0
        self.slow_call = slow_call
        self.asking, self.answer = threading.Event(), threading.Event()

    def take(
        self,
        name: str,
        limits: Sequence[Limit],
        costs: Sequence[float],
        scale: float,
        late: float = 0.0,
    ) -> float:
        self.calls += 1
        if self.calls == self.slow_call:
            self.asking.set()
            assert self.answer.wait(timeout=30)
        return super().take(name, limits, costs, scale, late)


def test_while_one_blocking_caller_asks_the_store_for_the_line_another_waits_its_turn() -> None:
    clock = FakeClock()
    store = GatedStore(clock, slow_call=3)  # 1: the first call, 2: the thread's try, 3: its turn
    main = threading.current_thread()
    served = threading.Event()

    def nap(seconds: float) -> None:
        if threading.current_thread() is main:
            store.answer.set()  # the store answers once the main thread waits in line too
            assert served.wait(timeout=30)  # and time moves on once the thread got its turn
        clock.blocking_sleep(seconds)

    limiter = RateLimiter(
        name="gated", requests_per_second=1, store=store, clock=clock, blocking_sleep=nap
    )
    with limiter.acquire():
        pass
    admitted: list[float] = []

    def first() -> None:
        with limiter.acquire():
            admitted.append(clock())
            served.set()

    thread = threading.Thread(target=first, daemon=True)
    thread.start()
    assert store.asking.wait(timeout=30)  # the thread serves the line: it asks the store
    with limiter.acquire():  # behind it: the thread is serving, so this one naps and looks again
        admitted.append(clock())
    thread.join(timeout=30)
    assert admitted == pytest.approx([1.0, 2.0])  # one a second, through the store
    assert limiter.queued == 0


async def test_a_blocking_try_behind_queued_callers_is_refused_at_once() -> None:
    clock = FakeClock()
    limiter = on_clock(clock, requests_per_second=1)
    await limiter.acquire()
    queued = asyncio.create_task(limiter.acquire().__aenter__())
    await clock.settle()

    def attempt() -> None:
        with limiter.acquire(timeout=0):
            pass

    with pytest.raises(RateLimitTimeout, match="no capacity now and timeout=0") as refused:
        await asyncio.to_thread(attempt)
    assert refused.value.retry_after is None  # how long the line takes is not known
    assert clock() == 0.0
    await clock.aadvance(1.0)
    assert (await queued).held


async def test_a_caller_arriving_while_the_store_pump_sleeps_is_served_when_it_wakes() -> None:
    clock = FakeClock()
    limiter = on_clock(clock, name="pump", requests_per_second=1, store=MemoryStore(clock=clock))
    await limiter.acquire()
    doomed = asyncio.create_task(limiter.acquire().__aenter__())
    await clock.settle()  # queued; the pump sleeps until its capacity is due
    doomed.cancel()
    await asyncio.gather(doomed, return_exceptions=True)
    assert limiter.queued == 0
    newcomer = asyncio.create_task(limiter.acquire().__aenter__())
    await clock.aadvance(0.9)
    assert not newcomer.done()  # it did not pass the pump: the store's turn is at 1.0
    await clock.aadvance(0.1)
    assert (await newcomer).held
    with pytest.raises(RateLimitTimeout):
        await limiter.acquire(timeout=0)


async def test_a_waiter_cancelled_while_the_store_answers_gives_its_capacity_back() -> None:
    clock = FakeClock()
    store = SlowStore(clock, slow_call=3)  # 1: the first call, 2: the second's try, 3: the pump
    limiter = on_clock(clock, name="slow", requests_per_second=1, store=store)
    await limiter.acquire()
    doomed = asyncio.create_task(limiter.acquire().__aenter__())
    await clock.settle()
    assert store.calls == 3  # the pump waits for the store's answer
    doomed.cancel()
    await asyncio.gather(doomed, return_exceptions=True)
    clock.now = 1.0
    store.answer.set()  # the store admits the waiter that has gone
    await clock.settle()
    assert limiter.queued == 0
    async with limiter.acquire(timeout=0) as r:  # what it was given went back to the store
        assert r.held


def serve_from_another_thread(limiter: RateLimiter, clock: FakeClock) -> float:
    """A blocking caller in its own thread while the event loop's thread is busy (joined)."""
    admitted: list[float] = []

    def low() -> None:
        with limiter.acquire(priority="low"):
            admitted.append(clock())

    thread = threading.Thread(target=low, daemon=True)
    thread.start()
    thread.join(timeout=30)  # the loop runs nothing meanwhile: the thread serves the line
    assert not thread.is_alive()
    return admitted[0]


async def test_a_blocking_caller_serves_the_async_waiter_ahead_of_it_through_its_loop() -> None:
    clock = FakeClock()
    limiter = on_clock(clock, requests_per_second=1)
    await limiter.acquire()
    critical = asyncio.create_task(limiter.acquire(priority="critical").__aenter__())
    await clock.settle()
    assert serve_from_another_thread(limiter, clock) == 2.0  # after the critical one, at 1.0
    await clock.settle()
    assert critical.done()
    assert (await critical).held


async def test_an_async_waiter_cancelled_as_its_admission_arrives_gives_it_back() -> None:
    clock = FakeClock()
    limiter = on_clock(clock, requests_per_second=1)
    errors: list[dict[str, Any]] = []
    asyncio.get_running_loop().set_exception_handler(lambda _, context: errors.append(context))
    await limiter.acquire()
    critical = asyncio.create_task(limiter.acquire(priority="critical").__aenter__())
    await clock.settle()
    assert serve_from_another_thread(limiter, clock) == 2.0
    critical.cancel()  # before the loop ran the admission the thread sent it
    await asyncio.gather(critical, return_exceptions=True)
    await clock.settle()  # the admission arrives for a future already cancelled: ignored
    assert critical.cancelled()
    assert errors == []
    await limiter.acquire(timeout=0)  # its capacity (taken at 1.0) went back: one fits at 2.0


def test_after_its_event_loop_ended_a_release_serves_the_blocking_waiter() -> None:
    clock = FakeClock()
    limiter = on_clock(clock, requests_per_second=1, max_concurrent=1)

    async def earlier() -> None:  # an asyncio.run that queued once, and ended
        first = await limiter.acquire()
        second = asyncio.create_task(limiter.acquire().__aenter__())
        await clock.settle()
        first.release()
        await clock.aadvance(1.0)
        (await second).release()

    asyncio.run(earlier())
    clock.advance(1.0)
    holder = limiter.acquire()
    holder.__enter__()
    napping, released = threading.Event(), threading.Event()

    def nap(seconds: float) -> None:
        napping.set()
        assert released.wait(timeout=30)  # time moves only once the slot is released
        clock.blocking_sleep(seconds)

    limiter._blocking_sleep = nap
    admitted: list[float] = []

    def waiter() -> None:
        with limiter.acquire():
            admitted.append(clock())

    thread = threading.Thread(target=waiter, daemon=True)
    thread.start()
    assert napping.wait(timeout=30)  # queued for the slot
    start = clock()
    holder.release()  # serves the line here, without the loop that has closed: the rate waits
    released.set()
    thread.join(timeout=30)
    assert admitted == [start + 1.0]


def test_with_time_sleep_a_blocking_caller_naps_until_its_turn_on_the_limiters_clock() -> None:
    """With ``time.sleep`` the nap waits on the caller's grant (a grant may end it early)."""
    ticks = itertools.count()

    def clock() -> float:  # a tenth of a millisecond further at each look: no real time
        return next(ticks) / 10_000

    limiter = RateLimiter(requests_per_second=1000, clock=clock)  # blocking_sleep=time.sleep
    with limiter.acquire():
        pass
    with limiter.acquire() as r:
        admitted = clock()
        assert r.held
    assert admitted >= 0.001  # not before its turn, a millisecond after the first

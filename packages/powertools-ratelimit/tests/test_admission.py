"""Admission under a backlog: wake-ups that come late lose no capacity and add no burst.

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
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from powertools.ratelimit import MemoryStore, RateLimiter
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

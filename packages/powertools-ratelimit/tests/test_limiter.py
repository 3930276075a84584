"""RateLimiter: waiting, priorities, fairness, reservations, timeouts and cancellation."""

from __future__ import annotations

import asyncio
import gc
import math
import random
import tracemalloc
from collections import Counter
from collections.abc import Callable

import pytest

from powertools.ratelimit import (
    BlockingCallError,
    ConfigurationError,
    MemoryStore,
    RateLimiter,
    RateLimitTimeout,
    RequestTooLargeError,
)
from powertools.ratelimit.testing import FakeClock

Make = Callable[..., RateLimiter]


async def admit_times(limiter: RateLimiter, clock: FakeClock, n: int, **kw: object) -> list[float]:
    times: list[float] = []

    async def one() -> None:
        async with limiter.acquire(**kw):  # type: ignore[arg-type]
            times.append(clock())

    tasks = [asyncio.create_task(one()) for _ in range(n)]
    await clock.aadvance(n)
    await asyncio.gather(*tasks)
    return times


async def test_requests_are_spaced_by_the_rate(clock: FakeClock, make_limiter: Make) -> None:
    limiter = make_limiter(requests_per_second=4)
    assert await admit_times(limiter, clock, 5) == [0.0, 0.25, 0.5, 0.75, 1.0]


async def test_every_dimension_is_checked_together(clock: FakeClock, make_limiter: Make) -> None:
    limiter = make_limiter(
        requests_per_second=10, tokens_per_second=100, burst={"tokens_per_second": 100}
    )
    times = await admit_times(limiter, clock, 3, tokens=100)
    assert times == [0.0, 1.0, 2.0]  # tokens are the bottleneck, requests were taken too
    fresh = make_limiter(
        requests_per_second=10, tokens_per_second=100, burst={"tokens_per_second": 100}
    )
    await fresh.acquire(tokens=100)
    assert [round(s.in_use, 6) for s in fresh.stats()] == [1.0, 100.0]


async def test_a_request_larger_than_a_limit_is_refused_clearly(make_limiter: Make) -> None:
    limiter = make_limiter(tokens_per_minute=1000)
    with pytest.raises(RequestTooLargeError, match="1500 tokens can never fit"):
        limiter.acquire(tokens=1500)


def test_bad_arguments_say_what_to_do(make_limiter: Make) -> None:
    with pytest.raises(ConfigurationError, match="unknown priority 'urgent'"):
        make_limiter().acquire(priority="urgent")
    with pytest.raises(ConfigurationError, match="timeout"):
        make_limiter().acquire(timeout=-1)
    for bad in (-1, math.nan, math.inf):
        with pytest.raises(ConfigurationError, match="must be a finite number"):
            make_limiter(tokens_per_minute=10).acquire(tokens=bad)
    with pytest.raises(RequestTooLargeError, match="1 requests can never fit"):
        make_limiter(requests_per_day=0.5).acquire()  # even a bare request is checked
    with pytest.raises(ConfigurationError, match="max_concurrent"):
        make_limiter(max_concurrent=0)
    with pytest.raises(ConfigurationError, match="unknown limit 'requests_per_fortnight'"):
        make_limiter(requests_per_fortnight=1)


async def test_settling_refunds_unused_tokens(clock: FakeClock, make_limiter: Make) -> None:
    limiter = make_limiter(tokens_per_second=100, burst={"tokens_per_second": 100})
    async with limiter.acquire(tokens=100) as r:
        delta = r.settle(tokens=20)
    assert delta.tokens == -80
    assert limiter.estimate_wait(tokens=80) == 0.0
    async with limiter.acquire(tokens=80):
        assert clock() == 0.0
    assert limiter.estimate_wait(tokens=1) > 0


async def test_settling_higher_charges_the_difference(clock: FakeClock, make_limiter: Make) -> None:
    limiter = make_limiter(tokens_per_second=100, burst={"tokens_per_second": 100})
    r = await limiter.acquire(tokens=10)
    r.settle(tokens=100)
    assert limiter.estimate_wait(tokens=100) == pytest.approx(1.0)
    assert "held" in repr(r)


async def test_timeout_takes_nothing_and_the_next_caller_gets_the_capacity(
    clock: FakeClock, make_limiter: Make
) -> None:
    limiter = make_limiter(requests_per_second=1)
    await limiter.acquire()
    impatient = asyncio.create_task(limiter.acquire(timeout=0.5).__aenter__())
    patient = asyncio.create_task(limiter.acquire().__aenter__())
    await clock.aadvance(0.5)
    with pytest.raises(RateLimitTimeout, match=r"timeout=0\.5s"):
        await impatient
    await clock.aadvance(0.5)
    assert patient.done()  # admitted at 1.0 s, not 2.0 s: the timed-out waiter took nothing
    assert limiter.queued == 0


async def test_a_wait_known_to_outlast_the_timeout_fails_at_once(
    clock: FakeClock, make_limiter: Make
) -> None:
    limiter = make_limiter(tokens_per_minute=1_000, burst={"tokens_per_minute": 1_000})
    await limiter.acquire(tokens=1_000)  # the minute's tokens are spent: 30 s for 500
    with pytest.raises(RateLimitTimeout, match=r"in 30 s, after its timeout=5s") as caught:
        await limiter.acquire(tokens=500, timeout=5)
    assert caught.value.retry_after == pytest.approx(30.0)
    assert clock() == 0.0  # refused without sleeping the timeout
    with pytest.raises(RateLimitTimeout), limiter.acquire(tokens=500, timeout=5):
        pass  # blocking callers too
    assert clock() == 0.0
    queued = asyncio.create_task(limiter.acquire(tokens=10).__aenter__())
    await clock.settle()
    behind = asyncio.create_task(limiter.acquire(tokens=500, timeout=5).__aenter__())
    await clock.aadvance(0.7)  # the queued head is served; then this one is the head
    with pytest.raises(RateLimitTimeout, match="after its timeout"):
        await behind
    assert clock() < 5.0
    await queued


async def test_zero_timeout_is_a_try(make_limiter: Make) -> None:
    limiter = make_limiter(requests_per_second=1)
    await limiter.acquire(timeout=0)
    with pytest.raises(RateLimitTimeout):
        await limiter.acquire(timeout=0)


async def test_cancelled_waiter_gives_its_place_away(clock: FakeClock, make_limiter: Make) -> None:
    limiter = make_limiter(requests_per_second=1)
    await limiter.acquire()
    doomed = asyncio.create_task(limiter.acquire().__aenter__())
    survivor = asyncio.create_task(limiter.acquire().__aenter__())
    await clock.settle()
    doomed.cancel()
    await clock.aadvance(1.0)
    assert survivor.done()
    assert doomed.cancelled()


async def test_cancelled_after_grant_refunds(clock: FakeClock, make_limiter: Make) -> None:
    limiter = make_limiter(requests_per_second=1)
    await limiter.acquire()
    task = asyncio.create_task(limiter.acquire().__aenter__())
    await clock.settle()
    clock.now = 1.0
    limiter._dispatch_local()  # granted, but the task has not resumed yet
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    await limiter.acquire(timeout=0)  # the refunded capacity is there at once


async def test_max_concurrent_holds_a_slot_until_exit(clock: FakeClock, make_limiter: Make) -> None:
    limiter = make_limiter(max_concurrent=2)
    release = asyncio.Event()
    running = 0
    peak = 0

    async def work() -> None:
        nonlocal running, peak
        async with limiter.acquire():
            running += 1
            peak = max(peak, running)
            await release.wait()
            running -= 1

    tasks = [asyncio.create_task(work()) for _ in range(5)]
    await clock.settle()
    assert (running, limiter.queued) == (2, 3)
    release.set()
    await asyncio.gather(*tasks)
    assert peak == 2


async def test_priorities_are_served_by_weight(clock: FakeClock, make_limiter: Make) -> None:
    limiter = make_limiter(requests_per_second=10)
    await limiter.acquire()
    served: list[str] = []

    async def one(priority: str) -> None:
        async with limiter.acquire(priority=priority):
            served.append(priority)

    tasks = [asyncio.create_task(one(p)) for p in ["low"] * 20 + ["critical"] * 20]
    await clock.aadvance(4.5)
    await asyncio.gather(*tasks)
    first = Counter(served[:18])
    assert first["critical"] == 16
    assert first["low"] == 2


async def test_high_priority_wait_is_bounded_under_a_low_flood(
    clock: FakeClock, make_limiter: Make
) -> None:
    limiter = make_limiter(requests_per_second=10)
    flood = [asyncio.create_task(limiter.acquire(priority="low").__aenter__()) for _ in range(500)]
    await clock.aadvance(5.0)
    waits = []
    for _ in range(5):
        start = clock()
        high = asyncio.create_task(limiter.acquire(priority="high").__aenter__())
        while not high.done():
            await clock.aadvance(0.05)
        waits.append(clock() - start)
    assert max(waits) <= 0.2  # two emission intervals, though 440 low requests are queued
    for task in flood:
        task.cancel()
    await asyncio.gather(*flood, return_exceptions=True)
    assert limiter.queued == 0


async def test_large_request_is_not_starved_by_small_ones(
    clock: FakeClock, make_limiter: Make
) -> None:
    limiter = make_limiter(tokens_per_second=100, burst={"tokens_per_second": 100})
    stop = False

    async def chatty() -> None:
        async def small() -> None:
            async with limiter.acquire(tokens=10, tenant="chatty"):
                pass

        pending = set()
        while not stop:  # 30 requests of 10 tokens per second: 3x the capacity
            pending.add(asyncio.create_task(small()))
            await clock.wait(1 / 30)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    producer = asyncio.create_task(chatty())
    await clock.aadvance(3.0)
    start = clock()
    big = asyncio.create_task(limiter.acquire(tokens=100, tenant="big").__aenter__())
    while not big.done():
        await clock.aadvance(0.1)
    waited = clock() - start
    stop = True
    await clock.aadvance(0.1)
    await producer
    assert waited <= 2.0


async def test_tenants_share_fairly_under_overload(clock: FakeClock, make_limiter: Make) -> None:
    limiter = make_limiter(requests_per_second=10)
    served: Counter[str] = Counter()

    async def one(tenant: str) -> None:
        async with limiter.acquire(tenant=tenant):
            served[tenant] += 1

    tasks = [
        asyncio.create_task(one(f"t{t}")) for t in range(10) for _ in range(100)
    ]  # each tenant queues all of its work at once: 10x what 10 s can serve
    await clock.aadvance(10.0)
    counts = [served[f"t{t}"] for t in range(10)]
    jain = sum(counts) ** 2 / (len(counts) * sum(c * c for c in counts))
    assert sum(counts) == 101
    assert jain >= 0.95
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_ten_thousand_waiters_in_order_without_losing_capacity(
    clock: FakeClock, make_limiter: Make
) -> None:
    limiter = make_limiter(requests_per_second=1000, burst={"requests_per_second": 50})
    served: list[int] = []

    async def one(i: int) -> None:
        async with limiter.acquire():
            served.append(i)

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tasks = [asyncio.create_task(one(i)) for i in range(10_000)]
    await clock.settle(2)
    per_waiter = (tracemalloc.get_traced_memory()[0] - before) / 10_000
    tracemalloc.stop()
    rng = random.Random(5)
    cancelled = set(rng.sample(range(100, 10_000), 2_000))  # all still queued
    for i in cancelled:
        tasks[i].cancel()
    await clock.aadvance(10.0)
    await asyncio.gather(*tasks, return_exceptions=True)
    assert served == [i for i in range(10_000) if i not in cancelled]
    # 8,000 admitted at 1,000/s from t=0: done by 8 s, nothing lost to cancellations
    assert limiter.estimate_wait() == 0.0
    assert limiter.stats()[0].reset_seconds == pytest.approx(0.0, abs=1e-6)
    assert per_waiter < 4096  # the task, its coroutine and the queue entry together


def test_sync_callers_block_on_the_clock(clock: FakeClock, make_limiter: Make) -> None:
    limiter = make_limiter(requests_per_second=2)
    times = []
    for _ in range(3):
        with limiter.acquire():
            times.append(clock())
    assert times == pytest.approx([0.0, 0.5, 1.0])
    with pytest.raises(RateLimitTimeout), limiter.acquire(timeout=0.1):
        pass


def test_sync_decorator_reads_tokens_from_an_argument(clock: FakeClock, make_limiter: Make) -> None:
    limiter = make_limiter(tokens_per_second=100, burst={"tokens_per_second": 100})

    @limiter.limit(tokens="max_tokens", tenant=lambda prompt, **_: prompt)
    def ask(prompt: str, max_tokens: int = 50) -> float:
        return clock()

    assert [ask("a"), ask("b"), ask("c", max_tokens=100)] == pytest.approx([0.0, 0.0, 1.0])
    with pytest.raises(ConfigurationError, match="names no argument"):
        limiter.limit(tokens="n_tokens")(ask)


async def test_async_decorator_takes_a_token_callable(clock: FakeClock, make_limiter: Make) -> None:
    limiter = make_limiter(tokens_per_second=10, burst={"tokens_per_second": 10})

    @limiter.limit(priority="critical", tokens=len)
    async def echo(text: str) -> str:
        return text

    assert await echo("0123456789") == "0123456789"
    assert limiter.would_wait_longer_than(0.5, tokens=10)
    assert not limiter.would_wait_longer_than(1.5, tokens=10)


async def test_a_shared_store_shares_capacity_between_limiters(clock: FakeClock) -> None:
    store = MemoryStore(clock=clock)
    a, b = (
        RateLimiter(
            name="api",
            requests_per_second=2,
            store=store,
            clock=clock,
            sleep=clock.wait,
            blocking_sleep=clock.blocking_sleep,
        )
        for _ in range(2)
    )
    times: list[float] = []

    async def one(limiter: RateLimiter) -> None:
        async with limiter.acquire():
            times.append(clock())

    tasks = [asyncio.create_task(one(x)) for x in (a, b, a, b)]
    await clock.aadvance(2.0)
    await asyncio.gather(*tasks)
    assert sorted(times) == [0.0, 0.5, 1.0, 1.5]
    r = await a.acquire(timeout=5)
    await r.asettle(tokens=0)
    assert clock() == 2.0

    c = RateLimiter(
        name="api",
        requests_per_second=2,
        store=store,
        clock=clock,
        blocking_sleep=clock.blocking_sleep,
    )

    def blocking() -> list[float]:
        seen = []
        with c.acquire():  # blocking callers share the store too: c waits for a's request
            seen.append(clock())
        with c.acquire(tokens=5) as r:
            r.settle(tokens=1)  # a blocking settle adjusts the store at once
        return [*seen, clock()]

    assert await asyncio.to_thread(blocking) == [2.5, 3.0]


async def test_store_given_as_url(make_limiter: Make) -> None:
    limiter = make_limiter(requests_per_second=1, store="memory://")
    await limiter.acquire()
    assert limiter.estimate_wait() > 0
    with pytest.raises(ConfigurationError, match="no rate-limit store for 'nope'"):
        make_limiter(store="nope://x")


async def test_provider_limit_sets(make_limiter: Make) -> None:
    limiter = RateLimiter.for_provider("anthropic")
    assert {x.name for x in limiter.limits} == {
        "requests_per_minute",
        "input_tokens_per_minute",
        "output_tokens_per_minute",
    }
    local = RateLimiter.for_provider("llamacpp", config={"llamacpp": {"max_concurrent": 3}})
    assert local.max_concurrent == 3
    assert local.name == "llamacpp"


def test_functions_decorated_with_one_key_share_its_limit() -> None:
    from powertools.ratelimit import rate_limit

    @rate_limit(requests_per_minute=1, name="shared-test-key")
    def first() -> str:
        return "first"

    @rate_limit(requests_per_minute=1, name="shared-test-key", timeout=0)
    def second() -> str:
        return "second"

    assert first() == "first"
    with pytest.raises(RateLimitTimeout):
        second()


async def test_a_slot_released_from_another_thread_wakes_async_waiters() -> None:
    limiter = RateLimiter(max_concurrent=1)
    held = limiter.acquire()
    held.__enter__()
    waiter = asyncio.create_task(limiter.acquire().__aenter__())
    await asyncio.sleep(0)
    assert limiter.queued == 1
    await asyncio.to_thread(held.release)  # the release kicks the loop thread-safely
    reservation = await asyncio.wait_for(waiter, timeout=10)
    assert reservation.held


async def test_concurrency_and_a_shared_store_together(clock: FakeClock) -> None:
    store = MemoryStore(clock=clock)
    limiter = RateLimiter(
        name="both",
        requests_per_second=100,
        max_concurrent=1,
        store=store,
        clock=clock,
        sleep=clock.wait,
    )
    gate = asyncio.Event()
    order: list[int] = []

    async def work(i: int) -> None:
        async with limiter.acquire() as r:
            order.append(i)
            r.settle(tokens=0)  # with a store, settled in the background
            await gate.wait()

    tasks = [asyncio.create_task(work(i)) for i in range(3)]
    await clock.aadvance(0.1)
    assert order == [0]  # the other two wait for the slot, not for the rate
    gate.set()
    await clock.aadvance(0.1)
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2]


async def test_a_blocking_acquire_on_the_loop_thread_refuses_instead_of_hanging(
    clock: FakeClock, make_limiter: Make
) -> None:
    limiter = make_limiter(requests_per_second=1)
    await limiter.acquire()
    queued = asyncio.create_task(limiter.acquire().__aenter__())
    await clock.settle()
    with (  # the loop that would serve `queued` is this thread's
        pytest.raises(BlockingCallError, match=r"use `async with limiter\.acquire"),
        limiter.acquire(),
    ):
        pass
    await clock.aadvance(1.0)
    assert (await queued).held


async def test_blocking_callers_take_the_same_queue_by_priority(
    clock: FakeClock, make_limiter: Make
) -> None:
    limiter = make_limiter(requests_per_second=10)
    await limiter.acquire()
    lows = [asyncio.create_task(limiter.acquire(priority="low").__aenter__()) for _ in range(200)]
    await clock.settle()
    assert limiter.queued == 200
    start = clock()

    def critical() -> float:
        with limiter.acquire(priority="critical", timeout=2):
            return clock()

    admitted = await asyncio.to_thread(critical)  # a blocking caller, from its own thread
    assert admitted - start <= 0.2  # ahead of the 200 low waiters, as an async caller would be
    assert limiter.queued >= 198
    for task in lows:
        task.cancel()
    await asyncio.gather(*lows, return_exceptions=True)
    assert limiter.queued == 0


async def test_settle_refunds_only_what_is_held_and_only_once(
    clock: FakeClock, make_limiter: Make
) -> None:
    limiter = make_limiter(tokens_per_minute=10_000, burst={"tokens_per_minute": 10_000})
    await limiter.acquire(tokens=10_000)
    remaining = limiter.stats()[0].remaining
    late = limiter.acquire(tokens=5_000, timeout=1)
    with pytest.raises(RateLimitTimeout):
        await late
    never = limiter.acquire(tokens=5_000)
    for r in (late, never, late):
        assert r.settle(tokens=0).tokens == 0
        assert await r.asettle(tokens=0) == (0, 0, 0, 0)
        assert r.give_back().tokens == 0
    assert limiter.stats()[0].remaining == remaining  # 0 stays 0: nothing handed out
    store = MemoryStore(clock=clock)
    shared = make_limiter(name="fleet", tokens_per_minute=1_000, store=store)
    timed_out = shared.acquire(tokens=1_000, timeout=0)
    await shared.acquire(tokens=1_000)
    with pytest.raises(RateLimitTimeout):
        await timed_out
    await timed_out.asettle(tokens=0)
    assert store.peek("fleet", shared.limits, (0, 1_000, 1_000, 0), 1.0) == pytest.approx(60.0)


async def test_would_wait_counts_only_the_waiters_served_first(
    clock: FakeClock, make_limiter: Make
) -> None:
    limiter = make_limiter(requests_per_second=10)
    await limiter.acquire()
    lows = [asyncio.create_task(limiter.acquire(priority="low").__aenter__()) for _ in range(200)]
    await clock.settle()
    assert limiter.estimate_wait(priority="critical") <= 0.2
    assert not limiter.would_wait_longer_than(0.5, priority="critical")
    assert limiter.would_wait_longer_than(10.0, priority="low")  # behind 200 at 10/s
    critical = asyncio.create_task(limiter.acquire(priority="critical").__aenter__())
    await clock.aadvance(0.2)
    assert critical.done()
    for task in lows:
        task.cancel()
    await asyncio.gather(*lows, return_exceptions=True)


async def test_would_wait_asks_the_shared_store(clock: FakeClock) -> None:
    store = MemoryStore(clock=clock)
    here, there = (
        RateLimiter(
            name="fleet",
            tokens_per_minute=60_000,
            burst={"tokens_per_minute": 60_000},
            store=store,
            clock=clock,
            sleep=clock.wait,
        )
        for _ in range(2)
    )
    await there.acquire(tokens=60_000)  # another process spends the minute
    assert here.would_wait_longer_than(5.0, tokens=10_000)
    assert await here.awould_wait_longer_than(5.0, tokens=10_000)
    assert await here.aestimate_wait(tokens=10_000) == pytest.approx(10.0)
    with pytest.raises(RateLimitTimeout, match="in 10 s"):
        await here.acquire(tokens=10_000, timeout=5)
    assert clock() == 0.0  # the store's answer was enough: no 5 s sleep


def test_a_redis_url_without_the_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "redis", None)  # as if the [redis] extra were missing
    monkeypatch.delitem(sys.modules, "powertools.ratelimit.backends.redis", raising=False)
    from powertools.ratelimit import MissingExtraError

    with pytest.raises(MissingExtraError, match=r"install 'powertools-ratelimit\[redis\]'"):
        RateLimiter(store="redis://127.0.0.1:6379/0")


async def test_would_wait_while_every_slot_is_busy(make_limiter: Make) -> None:
    limiter = make_limiter(max_concurrent=1)  # a local model serving one call at a time
    assert not limiter.would_wait_longer_than(1.0)
    async with limiter.acquire():
        assert limiter.would_wait_longer_than(1.0)  # behind a call of unknown length
        assert limiter.estimate_wait() == math.inf
    assert limiter.estimate_wait() == 0.0


def test_fast_built_reservation_matches_init() -> None:
    # acquire fills the common case in without the class call: every slot must be set as
    # Reservation.__init__ sets it, or a later read raises AttributeError
    from powertools.ratelimit._reservation import Reservation

    limiter = RateLimiter(requests_per_minute=60, tokens_per_minute=10_000)
    fast = limiter.acquire(100, priority="high", tenant="t", timeout=1.0)
    slow = Reservation(limiter, (1.0, 100.0, 100.0, 0.0), "high", "t", 1.0, False)
    for name in Reservation.__slots__:
        assert getattr(fast, name) == getattr(slow, name), name
    assert repr(fast) == repr(slow)


async def test_the_fast_path_closes_while_anyone_waits_and_reopens_after(
    clock: FakeClock, make_limiter: Make
) -> None:
    limiter = make_limiter(requests_per_second=1)
    await limiter.acquire()
    queued = asyncio.create_task(limiter.acquire().__aenter__())
    await clock.settle()
    clock.now = 1.0  # the capacity is back, but the queued caller has not been woken yet
    with pytest.raises(RateLimitTimeout):
        await limiter.acquire(timeout=0)  # a newcomer does not pass the line
    await clock.aadvance(0.0)
    assert queued.done()
    clock.now = 2.0
    await limiter.acquire(timeout=0)  # the line is empty again: straight through


async def test_split_input_and_output_estimates_are_charged_to_each_dimension(
    make_limiter: Make,
) -> None:
    limiter = make_limiter(
        requests_per_minute=60,
        input_tokens_per_minute=1_000,
        output_tokens_per_minute=500,
        burst={"requests_per_minute": 10, "input_tokens_per_minute": 1_000,
               "output_tokens_per_minute": 500},
    )  # fmt: skip
    r = await limiter.acquire(input_tokens=600, output_tokens=200, requests=2)
    assert r.cost == (2.0, 800.0, 600.0, 200.0)
    used = {cell.name: cell.in_use for cell in limiter.stats()}
    assert used == pytest.approx(
        {"requests_per_minute": 2, "input_tokens_per_minute": 600, "output_tokens_per_minute": 200}
    )
    assert limiter.estimate_wait(input_tokens=600) == pytest.approx(12.0)  # 200 left, 1,000/min
    assert limiter.estimate_wait(output_tokens=300) == 0.0
    with pytest.raises(RequestTooLargeError, match="600 output_tokens can never fit"):
        limiter.acquire(output_tokens=600)


async def test_a_reservation_given_back_inside_its_block_stays_free_after_it(
    make_limiter: Make,
) -> None:
    limiter = make_limiter(requests_per_second=1)
    async with limiter.acquire() as r:
        assert r.give_back().requests == -1
    assert not r.taken
    assert not r.held
    assert r.settle(tokens=5).tokens == 0  # nothing held: nothing charged
    with limiter.acquire(timeout=0) as s:  # the capacity went back: a try gets it
        assert s.give_back().requests == -1
    assert not s.taken
    await limiter.acquire(timeout=0)


def test_a_blocking_block_releases_its_slot_on_exit(make_limiter: Make) -> None:
    limiter = make_limiter(max_concurrent=1)
    with limiter.acquire() as r:
        assert r.held
        with pytest.raises(RateLimitTimeout, match="timeout=0"), limiter.acquire(timeout=0):
            pass
    assert r.taken
    assert not r.held
    with limiter.acquire(timeout=0):  # the slot is free again
        pass


async def test_releasing_twice_frees_one_slot(make_limiter: Make) -> None:
    limiter = make_limiter(max_concurrent=2)
    first = await limiter.acquire()
    await limiter.acquire()
    first.release()
    first.release()  # idempotent: the other holder keeps its slot
    await limiter.acquire(timeout=0)
    with pytest.raises(RateLimitTimeout):
        await limiter.acquire(timeout=0)


async def test_a_limiter_on_a_shared_store_takes_limits_learnt_from_headers(
    clock: FakeClock,
) -> None:
    store = MemoryStore(clock=clock)
    limiter = RateLimiter(
        name="shared", requests_per_minute=60, store=store, clock=clock, sleep=clock.wait
    )
    await limiter.acquire()
    assert await limiter.aestimate_wait() == pytest.approx(1.0)
    limiter.observe({"x-ratelimit-limit-requests": "120"})  # the account's real limit
    clock.now = 1.0
    await limiter.acquire(timeout=0)
    assert await limiter.aestimate_wait() == pytest.approx(0.5)  # the store spaces by 120/min


async def test_a_limiter_on_a_shared_store_waits_out_a_429s_retry_after(clock: FakeClock) -> None:
    limiter = RateLimiter(
        name="paused",
        requests_per_second=10,
        store=MemoryStore(clock=clock),
        clock=clock,
        sleep=clock.wait,
        blocking_sleep=clock.blocking_sleep,
    )
    limiter.observe({"retry-after": "5"}, status_code=429)
    assert await limiter.aestimate_wait() == pytest.approx(5.0)
    assert limiter.estimate_wait() == pytest.approx(5.0)  # a MemoryStore answers at once
    with pytest.raises(RateLimitTimeout, match="in 5 s"):
        await limiter.acquire(timeout=1)
    waiter = asyncio.create_task(limiter.acquire().__aenter__())
    await clock.aadvance(4.9)
    assert not waiter.done()
    await clock.aadvance(0.2)
    assert (await waiter).held


def test_blocking_callers_on_a_shared_store_wait_out_an_exhausted_dimension(
    clock: FakeClock,
) -> None:
    limiter = RateLimiter(
        name="exhausted",
        requests_per_minute=600,
        tokens_per_minute=60_000,
        store=MemoryStore(clock=clock),
        clock=clock,
        blocking_sleep=clock.blocking_sleep,
    )
    limiter.observe({"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "2s"})
    with limiter.acquire(tokens=0):  # no tokens asked: the requests limit alone says yes
        assert clock() == 0.0
    with limiter.acquire(tokens=100):  # tokens: none left until the provider's reset
        assert clock() == pytest.approx(2.0)
    requests_only = RateLimiter(
        name="requests-only",
        requests_per_minute=600,
        store=MemoryStore(clock=clock),
        clock=clock,
        blocking_sleep=clock.blocking_sleep,
    )
    requests_only.observe({"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "9s"})
    with requests_only.acquire(tokens=100):  # no tokens limit here: nothing to wait for
        assert clock() == pytest.approx(2.0)

"""Benchmark powertools.ratelimit against aiolimiter, limits and pyrate-limiter, in one run.

    uv run --group bench python tools/bench/bench_ratelimit.py [--redis redis://127.0.0.1:6379/15]

1. Uncontended acquire (sync and async), CPU µs per call (process time, so other work on a
   shared machine does not inflate it), median of repeated runs.
2. Contended: 1,000 tasks share 100/s for 3 s (real time): admitted, largest burst in any
   100 ms and 1 s window, tasks served.
3. Starvation: a stream of 1-unit requests at 3x a 100/s capacity, and one 50-unit request;
   how long the large one waits.
4. Redis (if reachable): acquire latency and round trips (script calls) per acquire for 3
   dimensions, async and blocking, against limits' (blocking) Redis storage (moving and
   fixed window), and the fleet-wide `awould_wait_longer_than` (one script call). The bench
   touches only keys it named itself (a fresh prefix per run) and deletes them afterwards:
   it never flushes a database it has not claimed.
5. `--callgrind`: instructions per uncontended acquire (sync and async), counted by valgrind,
   so the figure repeats exactly whatever else the machine runs: the difference between a run
   of 2N acquires and one of N, divided by N, under PYTHONHASHSEED=0. Compare two checkouts by
   running it from each (`PYTHONPATH=<other>/packages/powertools-ratelimit/src`).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import _callgrind
from aiolimiter import AsyncLimiter
from limits import RateLimitItemPerSecond, parse
from limits import storage as limits_storage
from limits import strategies as limits_strategies
from pyrate_limiter import Duration, Limiter, Rate

from powertools.ratelimit import RateLimiter

HUGE = 10**9
ROUNDS = 7


def median_us(run: Callable[[int], float], n: int) -> float:
    return statistics.median(run(n) for _ in range(ROUNDS)) / n * 1e6


def sync_cases() -> dict[str, Callable[[int], float]]:
    ours = RateLimiter(requests_per_second=HUGE, tokens_per_second=HUGE)
    mem = limits_storage.MemoryStorage()
    fixed = limits_strategies.FixedWindowRateLimiter(mem)
    moving = limits_strategies.MovingWindowRateLimiter(mem)
    item = RateLimitItemPerSecond(HUGE)
    pyrate = Limiter(Rate(HUGE, Duration.SECOND))

    def run_ours(n: int) -> float:
        start = time.process_time()
        for _ in range(n):
            with ours.acquire(100, priority="high"):
                pass
        return time.process_time() - start

    def run_fixed(n: int) -> float:
        start = time.process_time()
        for _ in range(n):
            fixed.hit(item, "k")
        return time.process_time() - start

    def run_moving(n: int) -> float:
        start = time.process_time()
        for _ in range(n):
            moving.hit(item, "k")
        return time.process_time() - start

    def run_pyrate(n: int) -> float:
        start = time.process_time()
        for _ in range(n):
            pyrate.try_acquire("k", 1, blocking=False)
        return time.process_time() - start

    return {
        "powertools (2 dims, priority, tokens)": run_ours,
        "limits fixed window": run_fixed,
        "limits moving window": run_moving,
        "pyrate-limiter": run_pyrate,
    }


async def ours_async_with(limiter: RateLimiter, n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        async with limiter.acquire(100, priority="high"):
            pass
    return time.process_time() - start


async def ours_settle(limiter: RateLimiter, n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        async with limiter.acquire(100, priority="high") as r:
            r.settle(50)
    return time.process_time() - start


async def ours_would_wait(limiter: RateLimiter, n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        limiter.would_wait_longer_than(1.0, 100, priority="critical")
    return time.process_time() - start


async def ours_await(limiter: RateLimiter, n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        await limiter.acquire(100, priority="high")
    return time.process_time() - start


async def aio_async_with(aio: AsyncLimiter, n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        async with aio:
            pass
    return time.process_time() - start


async def aio_await(aio: AsyncLimiter, n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        await aio.acquire(1)
    return time.process_time() - start


async def async_cases() -> dict[str, float]:
    ours = RateLimiter(requests_per_second=HUGE, tokens_per_second=HUGE)
    # cells that owe something but have burst room left, as a quota does once used: each
    # call runs the conformance path rather than the idle one
    in_use = RateLimiter(
        requests_per_second=10**5,
        tokens_per_second=10**7,
        burst={"requests_per_second": 10**8, "tokens_per_second": 10**10},
    )
    aio = AsyncLimiter(HUGE, 1)

    async def measure(run: Callable[[Any, int], Awaitable[float]], on: Any) -> float:
        n = 20_000
        return statistics.median([await run(on, n) for _ in range(ROUNDS)]) / n * 1e6

    return {
        "powertools async with acquire(tokens, priority)": await measure(ours_async_with, ours),
        "  the same, cells in use with burst room left": await measure(ours_async_with, in_use),
        "powertools await acquire(tokens, priority)": await measure(ours_await, ours),
        "powertools async with + settle(actual)": await measure(ours_settle, ours),
        "powertools would_wait_longer_than(priority)": await measure(ours_would_wait, ours),
        "aiolimiter async with": await measure(aio_async_with, aio),
        "aiolimiter await acquire(1)": await measure(aio_await, aio),
    }


def most_in_window(times: list[float], window: float) -> int:
    best, j = 0, 0
    for i, start in enumerate(times):
        j = max(j, i)
        while j < len(times) and times[j] < start + window:
            j += 1
        best = max(best, j - i)
    return best


async def contended(acquire: Callable[[], Awaitable[object]], seconds: float = 3.0) -> str:
    times: list[float] = []
    start = time.monotonic()

    async def task() -> None:
        await acquire()
        times.append(time.monotonic() - start)

    tasks = [asyncio.create_task(task()) for _ in range(1000)]
    await asyncio.sleep(seconds)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    times.sort()
    admitted = sum(1 for t in times if t < seconds)
    return (
        f"admitted in {seconds:g} s: {admitted:4d}   most in 100 ms: "
        f"{most_in_window(times, 0.1):3d}   most in 1 s: {most_in_window(times, 1.0):3d}"
        f"   served: {len(times)}"
    )


async def starvation(
    small: Callable[[], Awaitable[object]], large: Callable[[], Awaitable[object]]
) -> float:
    async def flood() -> None:
        pending: list[asyncio.Future[object]] = []
        while True:
            pending.append(asyncio.ensure_future(small()))
            await asyncio.sleep(1 / 300)

    producer = asyncio.create_task(flood())
    await asyncio.sleep(0.5)
    start = time.monotonic()
    try:
        await asyncio.wait_for(large(), timeout=10)
        waited = time.monotonic() - start
    except TimeoutError:
        waited = float("inf")
    producer.cancel()
    return waited


async def in_process() -> None:
    print("\n## Uncontended acquire, CPU µs per call (median of 7 runs)\n")
    rows = {name: median_us(run, 20_000) for name, run in sync_cases().items()}
    rows |= await async_cases()
    for name, us in rows.items():
        print(f"  {name:<52} {us:7.2f}")

    print("\n## Contended: 1,000 tasks share 100/s for 3 s\n")
    ours = RateLimiter(requests_per_second=100)
    ours_burst = RateLimiter(requests_per_second=100, burst={"requests_per_second": 10})
    aio = AsyncLimiter(100, 1)
    print("  exact: the burst at 0, then one per 10 ms: 300 (burst 1), 309 (burst 10) before 3 s;")
    print("  in any window of w s at most burst + 100 w, plus one wake-up's lateness\n")
    print(f"  {'powertools (burst 1)':<26}", await contended(ours.acquire))
    print(f"  {'powertools (burst 10)':<26}", await contended(ours_burst.acquire))
    print(f"  {'aiolimiter (100, 1 s)':<26}", await contended(aio.acquire))

    print("\n## Starvation: one 50-unit request in a 3x overload of 1-unit requests\n")
    ours = RateLimiter(tokens_per_second=100, burst={"tokens_per_second": 100})
    aio = AsyncLimiter(100, 1)
    ours_wait = await starvation(
        lambda: ours.acquire(1, tenant="small"), lambda: ours.acquire(50, tenant="large")
    )
    aio_wait = await starvation(lambda: aio.acquire(1), lambda: aio.acquire(50))
    print(f"  {'powertools':<26} large request waited {ours_wait:6.2f} s")
    print(f"  {'aiolimiter':<26} large request waited {aio_wait:6.2f} s (inf: > 10 s)")


async def redis_bench(url: str) -> None:
    import redis

    admin = redis.Redis.from_url(url)
    try:
        admin.ping()
    except redis.RedisError:
        print(f"\n## Redis: {url} unreachable, skipped")
        return
    run = uuid.uuid4().hex[:12]  # this run's own names: nothing else in the database is touched
    try:
        await redis_cases(url, admin, run)
    finally:
        for pattern in (f"powertools:ratelimit:{{bench-{run}}}:*", f"bench-{run}*"):
            for key in admin.scan_iter(match=pattern, count=1000):
                admin.delete(key)
        admin.close()


async def redis_cases(url: str, admin: Any, run: str) -> None:
    from powertools.ratelimit.backends.redis import RedisStore

    def scripts() -> int:
        """Lua script calls clients sent: each is one round trip (both libraries use scripts)."""
        stats = admin.info("commandstats")
        names = ("cmdstat_evalsha", "cmdstat_eval")
        return sum(int(stats[name]["calls"]) for name in names if name in stats)

    print("\n## Redis: 3 dimensions per acquire (requests/min, tokens/min, tokens/day)\n")
    n = 2000
    store = RedisStore(url)
    ours = RateLimiter(
        name=f"bench-{run}",
        store=store,
        requests_per_minute=HUGE,
        tokens_per_minute=HUGE,
        tokens_per_day=HUGE,
    )
    await ours.acquire(10)
    before, trips = scripts(), store.round_trips
    start = time.perf_counter()
    for _ in range(n):
        await ours.acquire(10)
    us = (time.perf_counter() - start) / n * 1e6
    per = (scripts() - before) / n
    print(
        f"  {'powertools async (one Lua script)':<34} {us:8.1f} µs   {per:.2f} script calls   "
        f"{(store.round_trips - trips) / n:.2f} round trips per acquire"
    )
    with ours.acquire(10):  # the blocking client: connects and loads the script
        pass
    before, trips = scripts(), store.round_trips
    start = time.perf_counter()
    for _ in range(n):
        with ours.acquire(10):
            pass
    us = (time.perf_counter() - start) / n * 1e6
    per = (scripts() - before) / n
    print(
        f"  {'powertools blocking `with`':<34} {us:8.1f} µs   {per:.2f} script calls   "
        f"{(store.round_trips - trips) / n:.2f} round trips per acquire"
    )
    before, trips = scripts(), store.round_trips
    start = time.perf_counter()
    for _ in range(n):
        await ours.awould_wait_longer_than(1.0, 10, priority="critical")
    us = (time.perf_counter() - start) / n * 1e6
    print(
        f"  {'powertools awould_wait_longer_than':<34} {us:8.1f} µs   "
        f"{(scripts() - before) / n:.2f} script calls   "
        f"{(store.round_trips - trips) / n:.2f} round trips per question (the fleet's usage)"
    )
    await store.aclose()

    items = [parse(f"{HUGE}/minute"), parse(f"{HUGE}/minute"), parse(f"{HUGE}/day")]
    for label, cls in (
        ("limits moving window", limits_strategies.MovingWindowRateLimiter),
        ("limits fixed window", limits_strategies.FixedWindowRateLimiter),
    ):
        lim = cls(limits_storage.storage_from_string(url, key_prefix=f"bench-{run}-{label[7:]}"))
        keys = ["requests", "tokens", "tokens-day"]
        lim.hit(items[0], "warm-up")
        before = scripts()
        start = time.perf_counter()
        for _ in range(n // 4):
            for item, key, cost in zip(items, keys, (1, 10, 10), strict=True):
                lim.hit(item, key, cost=cost)
        us = (time.perf_counter() - start) / (n // 4) * 1e6
        per = (scripts() - before) / (n // 4)
        print(
            f"  {label:<34} {us:8.1f} µs   {per:.2f} script calls = round trips "
            "per acquire (one hit per dimension, not atomic across them)"
        )


def acquire_loop(mode: str, n: int) -> None:
    """What `--callgrind` counts: ``n`` uncontended acquires, two limits, priority, tokens."""
    limiter = RateLimiter(requests_per_minute=HUGE, tokens_per_minute=HUGE * 1000)
    if mode == "sync":
        for _ in range(n):
            with limiter.acquire(100, priority="high"):
                pass
        return

    async def run() -> None:
        for _ in range(n):
            async with limiter.acquire(100, priority="high"):
                pass

    asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    _callgrind.add_options(parser)
    args = parser.parse_args()
    modes = ("sync", "async")
    if _callgrind.handled(
        args, __file__, acquire_loop, what="uncontended acquire", modes=modes, n=2000
    ):
        return
    asyncio.run(in_process())
    asyncio.run(redis_bench(args.redis))


if __name__ == "__main__":
    main()

"""Fleet-wide limits on a real Redis and a real 3-node Redis Cluster, and Redis going away."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest

from powertools.ratelimit import RateLimiter, StoreUnavailableError

pytestmark = pytest.mark.integration

WORKER = r"""
import asyncio, json, sys, time
from powertools.ratelimit import RateLimiter
from powertools.ratelimit.backends.redis import RedisStore

url, cluster, seconds = sys.argv[1], sys.argv[2] == "1", float(sys.argv[3])
if cluster:  # a cluster is said in the URL scheme
    url = url.replace("redis://", "redis+cluster://", 1)
blocking = sys.argv[4] == "1"
admitted = []

class Recording(RedisStore):
    async def atake(self, name, limits, costs, scale, late=0.0):
        wait, now = await self.atake_with_server_time(name, limits, costs, scale, late)
        if wait == 0.0:
            admitted.append(now)
        return wait

    def take(self, name, limits, costs, scale, late=0.0):
        wait, now = self.take_with_server_time(name, limits, costs, scale, late)
        if wait == 0.0:
            admitted.append(now)
        return wait

async def main():
    store = Recording(url, on_failure="closed")
    limiter = RateLimiter(name="fleet", requests_per_minute=1000, store=store)
    await store._async_scripts().client.ping()  # connected before the start
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)  # every process starts together
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        async with limiter.acquire():
            pass
    await store.aclose()

def main_blocking():
    store = Recording(url, on_failure="closed")
    limiter = RateLimiter(name="fleet", requests_per_minute=1000, store=store)
    store._blocking_scripts().client.ping()
    print("ready", flush=True)
    sys.stdin.readline()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with limiter.acquire():
            pass
    store.close()

main_blocking() if blocking else asyncio.run(main())
print(json.dumps(admitted))
"""

PROCESSES = 8
SECONDS = 6.0
RATE = 1000 / 60  # per second


def most_in_any_window(times: list[float], window: float) -> int:
    best, j = 0, 0
    for i, start in enumerate(times):
        j = max(j, i)
        while j < len(times) and times[j] < start + window:
            j += 1
        best = max(best, j - i)
    return best


def run_fleet(url: str, cluster: bool) -> list[float]:
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                url,
                "1" if cluster else "0",
                str(SECONDS),
                "1" if i % 2 else "0",  # half the fleet blocking (`with`), half async
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    for worker in workers:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    times: list[float] = []
    for worker in workers:
        out, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0
        times += json.loads(out)
    return sorted(times)


def check_fleet(times: list[float]) -> None:
    # the GCRA bound, checked on Redis's own clock: one request plus the rate over any window
    for window in (0.1, 0.5, 1.0, 3.0, 60.0):
        assert most_in_any_window(times, window) <= min(1 + RATE * window, 1000), window
    assert len(times) >= 0.9 * RATE * SECONDS  # and the fleet did use the capacity


@pytest.mark.slow
def test_eight_processes_share_one_limit_on_redis(redis_url: str) -> None:
    """Four processes acquire with ``async with``, four with a blocking ``with``."""
    check_fleet(run_fleet(redis_url, cluster=False))


@pytest.mark.slow
def test_eight_processes_share_one_limit_on_redis_cluster(redis_cluster_url: str) -> None:
    check_fleet(run_fleet(redis_cluster_url, cluster=True))


def _store_url(url: str, cluster: bool) -> str:
    """The store URL of a fixture's ``redis://`` URL: ``redis+cluster://`` for the cluster."""
    return url.replace("redis://", "redis+cluster://", 1) if cluster else url


class Proxy:
    """A TCP forwarder to Redis that the test can cut, as if Redis went away."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.server: asyncio.Server | None = None
        self.pipes: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        for src, dst in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pipe(src, dst))
            self.pipes.add(task)
            task.add_done_callback(self.pipes.discard)

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        finally:
            dst.close()

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        for task in list(self.pipes):
            task.cancel()
        await asyncio.gather(*self.pipes, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self.server.wait_closed()


async def admitted_during(limiter: RateLimiter, seconds: float) -> int:
    count, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        async with limiter.acquire():
            count += 1
    return count


@pytest.mark.slow
async def test_redis_going_away_switches_to_the_local_share(redis_url: str) -> None:
    from powertools.ratelimit.backends.redis import RedisStore

    parts = urlsplit(redis_url)
    proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    port = await proxy.start()
    store = RedisStore(f"redis://127.0.0.1:{port}{parts.path}", fleet_size=2, socket_timeout=0.2)
    limiter = RateLimiter(name="away", requests_per_second=20, store=store)
    before = await admitted_during(limiter, 1.0)
    await proxy.cut()
    after = await admitted_during(limiter, 2.0)
    assert store.degraded
    assert 15 <= before <= 21
    assert 10 <= after <= 1 + 10 * 2.0 + 1  # limit / fleet_size, no exception on the way
    await store.aclose()


@pytest.mark.slow
async def test_redis_going_away_under_the_open_and_closed_policies(redis_url: str) -> None:
    from powertools.ratelimit.backends.redis import RedisStore

    parts = urlsplit(redis_url)
    for policy in ("open", "closed"):
        proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 6379)
        port = await proxy.start()
        store = RedisStore(
            f"redis://127.0.0.1:{port}{parts.path}", on_failure=policy, socket_timeout=0.2
        )
        limiter = RateLimiter(name=f"away-{policy}", requests_per_second=5, store=store)
        await limiter.acquire()
        await proxy.cut()
        if policy == "open":
            for _ in range(50):  # far above 5/s: admitted at once
                await limiter.acquire(timeout=0)
        else:
            with pytest.raises(StoreUnavailableError):
                await limiter.acquire()
        await store.aclose()


async def test_one_round_trip_takes_all_three_dimensions(redis_url: str) -> None:
    import redis

    from powertools.ratelimit.backends.redis import RedisStore

    store = RedisStore(redis_url)
    limiter = RateLimiter(
        name="trips",
        requests_per_minute=10_000,
        tokens_per_minute=1_000_000,
        tokens_per_day=10_000_000,
        burst={"requests_per_minute": 100, "tokens_per_minute": 100_000},
        store=store,
    )
    await limiter.acquire(tokens=10)  # loads the script once
    admin = redis.Redis.from_url(redis_url)
    before = admin.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0)
    trips = store.round_trips
    for _ in range(20):
        await limiter.acquire(tokens=10)
    after = admin.info("commandstats")["cmdstat_evalsha"]["calls"]
    assert store.round_trips - trips == 20  # one script call per acquire...
    assert after - before >= 20  # ...that the server saw (other clients may add to its count)
    keys = sorted(k.decode() for k in admin.keys("powertools:ratelimit:{trips}:*"))
    assert keys == [
        "powertools:ratelimit:{trips}:requests_per_minute",
        "powertools:ratelimit:{trips}:tokens_per_day",
        "powertools:ratelimit:{trips}:tokens_per_minute",
    ]
    admin.close()
    await store.aclose()


def blocking_admitted_during(limiter: RateLimiter, seconds: float) -> int:
    count, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        with limiter.acquire():
            count += 1
    return count


@pytest.mark.slow
async def test_redis_going_away_under_blocking_callers(redis_url: str) -> None:
    """The proxy runs on this loop; the blocking callers run in a thread beside it."""
    from powertools.ratelimit.backends.redis import RedisStore

    parts = urlsplit(redis_url)
    proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    port = await proxy.start()
    store = RedisStore(f"redis://127.0.0.1:{port}{parts.path}", fleet_size=2, socket_timeout=0.2)
    limiter = RateLimiter(name="away-blocking", requests_per_second=20, store=store)
    before = await asyncio.to_thread(blocking_admitted_during, limiter, 1.0)
    await proxy.cut()
    after = await asyncio.to_thread(blocking_admitted_during, limiter, 2.0)
    assert store.degraded
    assert 15 <= before <= 21
    assert 10 <= after <= 1 + 10 * 2.0 + 1  # limit / fleet_size, no exception on the way
    store.close()


@pytest.mark.parametrize("cluster", [False, True], ids=["redis", "cluster"])
def test_a_decorated_sync_function_shares_a_redis_limit(
    cluster: bool, request: pytest.FixtureRequest
) -> None:
    import redis

    from powertools.ratelimit import rate_limit
    from powertools.ratelimit.backends.redis import RedisStore

    url = request.getfixturevalue("redis_cluster_url" if cluster else "redis_url")
    store = RedisStore(_store_url(url, cluster))
    key = f"sync-decorated-{cluster}"

    @rate_limit(
        requests_per_minute=600,
        tokens_per_minute=60_000,
        burst={"requests_per_minute": 6, "tokens_per_minute": 600},
        tokens="size",
        name=key,
        store=store,
    )
    def call(size: int) -> int:
        return size

    start = time.monotonic()
    assert [call(100) for _ in range(6)] == [100] * 6  # the burst: no waiting
    assert store.round_trips == 6  # one script call each, both dimensions in it
    assert call(100) == 100  # waits for the next 1/10 s, then one more script call
    assert time.monotonic() - start >= 0.1 - 0.01
    assert store.round_trips == 8
    admin = redis.RedisCluster.from_url(url) if cluster else redis.Redis.from_url(url)
    stored = [
        f"powertools:ratelimit:{{{key}}}:{name}_per_minute" for name in ("requests", "tokens")
    ]
    assert admin.exists(*stored) == 2  # one multi-key command: on a cluster, one slot
    admin.close()
    store.close()


def test_blocking_callers_and_a_closed_port_under_each_policy() -> None:
    from powertools.ratelimit.backends.redis import RedisStore

    closed_port = "redis://127.0.0.1:1/0"
    for policy in ("local", "open", "closed"):
        store = RedisStore(closed_port, on_failure=policy, socket_timeout=0.2)
        limiter = RateLimiter(name=f"closed-{policy}", requests_per_second=1_000, store=store)
        if policy == "closed":
            with pytest.raises(StoreUnavailableError):
                limiter.acquire().__enter__()
        else:
            assert blocking_admitted_during(limiter, 0.2) > 0  # no exception reaches the caller
        assert store.degraded
        store.close()


@pytest.mark.parametrize("cluster", [False, True], ids=["redis", "cluster"])
async def test_the_script_credits_a_late_retry_with_its_lateness(
    cluster: bool, request: pytest.FixtureRequest
) -> None:
    """A retry that comes 50 ms after its due time is counted from the due time (0203)."""
    from powertools.ratelimit import Limit
    from powertools.ratelimit.backends.redis import RedisStore

    url = request.getfixturevalue("redis_cluster_url" if cluster else "redis_url")
    store = RedisStore(_store_url(url, cluster), on_failure="closed")
    limits = [Limit("requests", 10, 1.0)]  # one every 100 ms, burst 1
    one = (1.0, 0.0, 0.0, 0.0)
    for name, late in (("on-time", 0.0), ("late", 0.05)):
        assert await store.atake(name, limits, one, 1.0) == 0.0
        await asyncio.sleep(0.15)  # due at 0.1 s: 50 ms late
        assert await store.atake(name, limits, one, 1.0, late=late) == 0.0
        wait = await store.atake(name, limits, one, 1.0)
        if late:  # counted from 0.1 s: the next is due at 0.2 s, some 50 ms from now
            assert 0.0 < wait < 0.085
        else:  # counted from 0.15 s: the next is due at 0.25 s
            assert wait > 0.085
    assert store.take("blocking", limits, one, 1.0) == 0.0
    await asyncio.sleep(0.15)
    assert store.take("blocking", limits, one, 1.0, late=0.05) == 0.0
    assert 0.0 < store.take("blocking", limits, one, 1.0) < 0.085
    await store.aclose()


def test_blocking_callers_in_threads_share_one_redis_limit(redis_url: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from powertools.ratelimit.backends.redis import RedisStore

    store = RedisStore(redis_url, on_failure="closed")
    limiter = RateLimiter(name="threads", requests_per_second=20, store=store)
    times: list[float] = []

    def caller(_: int) -> None:
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            with limiter.acquire():
                times.append(time.monotonic())  # list.append is atomic

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(caller, range(4)))
    times.sort()
    # the GCRA bound (burst 1 + rate x window), plus one for the clocks' and wake-ups' jitter
    for window in (0.25, 0.5, 1.0):
        assert most_in_any_window(times, window) <= 1 + 20 * window + 1, window
    assert len(times) >= 20  # and the threads did use the capacity
    store.close()

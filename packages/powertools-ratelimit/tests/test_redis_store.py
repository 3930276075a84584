"""The Redis store without a server: its failure policies, key names, URL handling."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest

pytest.importorskip("redis")  # before the backend, which imports it

from powertools.ratelimit import (
    ConfigurationError,
    RateLimiter,
    RateLimitTimeout,
    StoreError,
    StoreUnavailableError,
    open_store,
)
from powertools.ratelimit.backends.redis import RedisStore, limit_keys
from powertools.ratelimit.testing import FakeClock

CLOSED = "redis://:s3cret@127.0.0.1:1/0"  # port 1: nothing listens, the connection is refused


def limiter(store: RedisStore, clock: FakeClock, rate: float = 4) -> RateLimiter:
    return RateLimiter(
        name="api", requests_per_second=rate, store=store, clock=clock, sleep=clock.wait
    )


async def test_local_policy_limits_each_process_to_its_share(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    store = RedisStore(CLOSED, fleet_size=4, clock=clock)
    lim = limiter(store, clock)
    with caplog.at_level(logging.WARNING, logger="powertools.ratelimit"):
        await lim.acquire()
    assert store.degraded
    assert "on_failure=local" in caplog.text
    assert "s3cret" not in caplog.text
    assert "s3cret" not in repr(store)
    second = asyncio.create_task(lim.acquire().__aenter__())
    await clock.aadvance(0.9)
    assert not second.done()  # 4/s shared by 4 processes: 1/s here
    await clock.aadvance(0.2)
    reservation = await second
    await reservation.asettle(tokens=0)  # adjusting while degraded goes to the fallback
    await store.aclose()


async def test_open_policy_admits_everything() -> None:
    clock = FakeClock()
    store = RedisStore(CLOSED, on_failure="open", clock=clock)
    lim = limiter(store, clock, rate=1)
    for _ in range(5):
        await lim.acquire(timeout=0)
    await store.aclose()


async def test_closed_policy_refuses_with_a_documented_error() -> None:
    clock = FakeClock()
    store = RedisStore(CLOSED, on_failure="closed", clock=clock)
    lim = limiter(store, clock)
    with pytest.raises(StoreUnavailableError, match="on_failure='closed'"):
        await lim.acquire()
    await store.aclose()


async def test_the_store_is_tried_again_after_the_retry_interval() -> None:
    clock = FakeClock()
    store = RedisStore(CLOSED, on_failure="open", clock=clock, retry_interval=5.0)
    lim = limiter(store, clock, rate=100)
    await lim.acquire()
    trips = store.round_trips
    await lim.acquire()
    assert store.round_trips == trips  # degraded: no attempt
    clock.now += 5.0
    await lim.acquire()
    assert store.round_trips == trips + 1
    await store.aadjust("api", lim.limits, (0, 1, 0, 0), 1.0)
    await store.aclose()


async def test_a_wait_estimated_while_redis_is_down_follows_the_policy() -> None:
    clock = FakeClock()
    local = RedisStore(CLOSED, fleet_size=4, clock=clock)
    lim = limiter(local, clock)  # 4/s shared by 4 processes: 1/s here while degraded
    assert await lim.aestimate_wait() == 0.0
    assert local.degraded
    await lim.acquire()
    assert await lim.aestimate_wait() == pytest.approx(1.0)
    assert await asyncio.to_thread(lim.estimate_wait) == pytest.approx(1.0)  # blocking: the same
    await local.aclose()

    opened = RedisStore(CLOSED, on_failure="open", clock=clock)
    lim = limiter(opened, clock, rate=1)
    await lim.acquire()
    assert await lim.aestimate_wait() == 0.0  # admits everything: no wait to report
    await opened.aclose()

    closed = RedisStore(CLOSED, on_failure="closed", clock=clock)
    with pytest.raises(StoreUnavailableError, match="on_failure='closed'"):
        await limiter(closed, clock).aestimate_wait()
    await closed.aclose()


async def test_calls_that_fail_together_log_the_outage_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    store = RedisStore(CLOSED, on_failure="open", clock=clock)
    limits = limiter(store, clock).limits
    with caplog.at_level(logging.WARNING, logger="powertools.ratelimit"):
        waits = await asyncio.gather(
            *(store.atake("api", limits, (1, 0, 0, 0), 1.0) for _ in range(3))
        )
    assert waits == [0.0, 0.0, 0.0]
    assert store.round_trips == 3  # all three were sent before the first failed
    assert caplog.text.count("unreachable") == 1
    await store.aclose()


def test_keys_share_one_hash_tag() -> None:
    keys = limit_keys(
        "openai:gpt-4o", RateLimiter(requests_per_minute=1, tokens_per_minute=9).limits
    )
    assert {k.split("}")[0] for k in keys} == {"powertools:ratelimit:{openai:gpt-4o"}
    with pytest.raises(ConfigurationError, match="braces"):
        limit_keys("a{b}", ())


def test_bad_options_and_urls() -> None:
    with pytest.raises(ConfigurationError, match="on_failure"):
        RedisStore(CLOSED, on_failure="maybe")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="fleet_size"):
        RedisStore(CLOSED, fleet_size=0)
    store = open_store("redis://127.0.0.1:1/0?health_check_interval=5")
    assert isinstance(store, RedisStore)
    assert "on_failure=local" in repr(store)


async def test_no_limits_means_no_round_trip() -> None:
    store = RedisStore(CLOSED)
    assert await store.atake("api", (), (1, 0, 0, 0), 1.0) == 0.0
    assert await store.apeek("api", (), (1, 0, 0, 0), 1.0) == 0.0
    assert store.take("api", (), (1, 0, 0, 0), 1.0) == 0.0
    assert store.peek("api", (), (1, 0, 0, 0), 1.0) == 0.0
    assert store.round_trips == 0
    assert not store.degraded  # nothing was tried, so nothing failed
    await store.aclose()


@pytest.mark.integration
async def test_real_redis_takes_settles_and_comes_back(redis_url: str) -> None:
    clock = FakeClock()
    store = RedisStore(redis_url, clock=clock)
    lim = RateLimiter(
        name="real",
        requests_per_minute=600,
        tokens_per_minute=6000,
        burst={"requests_per_minute": 10, "tokens_per_minute": 1000},
        store=store,
        clock=clock,
        sleep=clock.wait,
    )
    async with lim.acquire(tokens=1000) as r:
        await r.asettle(tokens=100)  # 900 refunded on the server
    assert store.round_trips == 2
    await lim.acquire(tokens=900, timeout=0)  # fits only because of the refund
    store._went_down(ConnectionError("simulated"))
    assert store.degraded
    clock.now += store.retry_interval
    await lim.acquire(timeout=0)  # a request without tokens: only the requests limit
    assert not store.degraded  # reachable again: back to the shared limit
    await store.aclose()


def blocking_limiter(store: RedisStore, clock: FakeClock, rate: float = 4) -> RateLimiter:
    return RateLimiter(
        name="api",
        requests_per_second=rate,
        store=store,
        clock=clock,
        blocking_sleep=clock.blocking_sleep,
    )


def test_blocking_callers_get_the_same_failure_policies(caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    local = RedisStore(CLOSED, fleet_size=4, clock=clock)
    lim = blocking_limiter(local, clock)
    with caplog.at_level(logging.WARNING, logger="powertools.ratelimit"), lim.acquire():
        assert clock() == 0.0
    assert local.degraded
    assert "on_failure=local" in caplog.text
    with lim.acquire() as r:  # 4/s shared by 4 processes: 1/s here
        assert clock() == 1.0
        r.settle(tokens=0)  # adjusting while degraded goes to the fallback
    local.close()

    opened = RedisStore(CLOSED, on_failure="open", clock=clock)
    lim = blocking_limiter(opened, clock, rate=1)
    start = clock()
    for _ in range(5):
        with lim.acquire():
            pass
    assert clock() == start  # admitted at once, no exception
    opened.close()

    closed = RedisStore(CLOSED, on_failure="closed", clock=clock)
    lim = blocking_limiter(closed, clock)
    with pytest.raises(StoreUnavailableError, match="on_failure='closed'"), lim.acquire():
        pass
    closed.close()


def test_a_blocking_cluster_client_that_cannot_connect_falls_back() -> None:
    clock = FakeClock()
    store = RedisStore("redis+cluster://:s3cret@127.0.0.1:1/0", on_failure="open", clock=clock)
    with blocking_limiter(store, clock).acquire():
        pass
    assert store.degraded  # the cluster client failed while discovering its nodes
    trips = store.round_trips
    clock.now += store.retry_interval
    store.adjust("api", blocking_limiter(store, clock).limits, (0, 1, 0, 0), 1.0)
    assert store.round_trips == trips + 1  # tried again, failed again, still no exception
    store.close()


@pytest.mark.integration
def test_real_redis_for_blocking_callers(redis_url: str) -> None:
    clock = FakeClock()
    store = RedisStore(redis_url, clock=clock)
    lim = RateLimiter(
        name="real-blocking",
        requests_per_minute=600,
        tokens_per_minute=6000,
        burst={"requests_per_minute": 10, "tokens_per_minute": 1000},
        store=store,
        clock=clock,
        blocking_sleep=clock.blocking_sleep,
    )
    with lim.acquire(tokens=1000) as r:
        r.settle(tokens=100)  # 900 refunded on the server, at once
    assert store.round_trips == 2  # one script call to take, one to settle
    with lim.acquire(tokens=900, timeout=0):  # fits only because of the refund
        pass
    assert not store.degraded
    store.close()


@pytest.mark.integration
async def test_a_refusing_redis_is_an_error_not_an_outage(redis_url: str) -> None:
    import redis

    store = RedisStore(redis_url, on_failure="open")
    lim = RateLimiter(name="wrongtype", requests_per_minute=60, store=store)
    key = limit_keys("wrongtype", lim.limits)[0]
    admin = redis.Redis.from_url(redis_url)
    admin.delete(key)
    admin.rpush(key, "not a number")  # a key of another type under the limiter's name
    try:
        with pytest.raises(StoreError, match=r"'wrongtype'.*delete it"):
            await lim.acquire()
        assert not store.degraded  # not taken for an outage: "open" did not admit it
        with pytest.raises(StoreError):
            await lim.aestimate_wait()
    finally:
        admin.delete(key)
        admin.close()
        await store.aclose()


@pytest.mark.integration
async def test_would_wait_asks_redis_in_one_round_trip(redis_url: str) -> None:
    stores = [RedisStore(redis_url) for _ in range(2)]
    here, there = (
        RateLimiter(
            name="peek-fleet",
            tokens_per_minute=60_000,
            burst={"tokens_per_minute": 60_000},
            store=store,
        )
        for store in stores
    )
    await stores[0].aadjust("peek-fleet", here.limits, (0, -120_000, 0, 0), 1.0)  # a clean start
    await there.acquire(tokens=60_000)  # another process spends the minute
    trips = stores[0].round_trips
    assert await here.awould_wait_longer_than(5.0, tokens=10_000)
    assert stores[0].round_trips == trips + 1
    with pytest.raises(RateLimitTimeout):
        await here.acquire(tokens=10_000, timeout=5)  # refused at once: the store said ~10 s
    for store in stores:
        await store.aclose()


@pytest.mark.parametrize(
    ("url", "cluster", "client_url"),
    [
        ("redis://127.0.0.1:6379/7", False, "redis://127.0.0.1:6379/7"),
        ("rediss://127.0.0.1:6380/7", False, "rediss://127.0.0.1:6380/7"),
        ("redis+cluster://127.0.0.1:7000/0", True, "redis://127.0.0.1:7000/0"),
        ("rediss+cluster://127.0.0.1:7000/0", True, "rediss://127.0.0.1:7000/0"),
    ],
)
def test_each_url_form_builds_its_client(url: str, cluster: bool, client_url: str) -> None:
    import redis
    from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster

    store = open_store(url)
    assert isinstance(store, RedisStore)
    assert (store._cluster, store._client_url) == (cluster, client_url)
    # no cluster runs here: check the class of client the store builds (a blocking cluster
    # client connects when made, so the async one, which connects lazily, is checked)
    client = store._async_scripts().client
    assert isinstance(client, AsyncRedisCluster) is cluster
    if not cluster:
        blocking = store._blocking_scripts().client
        assert type(blocking) is redis.Redis
        assert blocking.connection_pool.connection_kwargs["db"] == 7
        store.close()


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: open_store("redis://h:7000/0?cluster=true"), "redis+cluster://h:7000/0"),
        (lambda: RedisStore("rediss://h:7000/2", cluster=True), "rediss+cluster://h:7000/2"),
    ],
)
def test_the_old_cluster_spellings_name_the_url_to_write(make: object, expected: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(f"write {expected} instead")):
        make()  # type: ignore[operator]


def test_a_url_of_another_scheme_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"redis\+cluster://"):
        RedisStore("memcached://h:1")


async def test_blocking_and_async_shells_send_the_same_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # one core builds every script call; the shells only run it (issue 12 item 9)
    from powertools.ratelimit.backends import redis as backend

    sent: list[tuple[str, list[str], list[float]]] = []
    replies = {"take": [0, "250000", "1000000"], "peek": "500000", "adjust": 1}

    def run(self: object, call: backend._Call) -> object:
        sent.append((call.script, call.keys, call.args))
        return replies[call.script]

    async def arun(self: object, call: backend._Call) -> object:
        return run(self, call)

    lim = (backend.Limit("requests", 4, 1.0),)
    store = RedisStore("redis://127.0.0.1:6379/7")
    monkeypatch.setattr(backend._Scripts, "run", run)
    blocking = [
        store.take("api", lim, (1, 0, 0, 0), 1.0, 0.5),
        store.peek("api", lim, (1, 0, 0, 0), 1.0),
        store.adjust("api", lim, (-1, 0, 0, 0), 1.0),
    ]
    monkeypatch.setattr(backend._Scripts, "run", arun)
    asynchronous = [
        await store.atake("api", lim, (1, 0, 0, 0), 1.0, 0.5),
        await store.apeek("api", lim, (1, 0, 0, 0), 1.0),
        await store.aadjust("api", lim, (-1, 0, 0, 0), 1.0),
    ]
    assert blocking == asynchronous == [0.25, 0.5, None]
    assert sent[:3] == sent[3:]
    assert [s[0] for s in sent[:3]] == ["take", "peek", "adjust"]
    assert store.round_trips == 6
    store.close()
    await store.aclose()


@pytest.mark.integration
async def test_a_take_can_tell_the_redis_time_it_was_decided_at(redis_url: str) -> None:
    import redis

    store = RedisStore(redis_url)
    limits = RateLimiter(requests_per_second=1).limits
    keys = limit_keys("server-time", limits)
    admin = redis.Redis.from_url(redis_url)
    admin.delete(*keys)
    try:
        wait, first = await store.atake_with_server_time("server-time", limits, (1, 0, 0, 0))
        assert wait == 0.0
        seconds, micros = admin.time()
        assert first == pytest.approx(seconds + micros / 1e6, abs=60)  # Redis's clock, in s
        wait, second = store.take_with_server_time("server-time", limits, (1, 0, 0, 0))
        assert second >= first
        assert wait == pytest.approx(1.0 - (second - first), abs=1e-3)  # 1/s: due a second on
    finally:
        admin.delete(*keys)
        admin.close()
        await store.aclose()

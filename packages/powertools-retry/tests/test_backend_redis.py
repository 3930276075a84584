"""The Redis store of a circuit breaker, in one process (4 processes: tests-integration)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

pytest.importorskip("redis")

from powertools.retry import CircuitBreaker, CircuitOpenError, CircuitState
from powertools.retry.backends.redis import RedisStorage

pytestmark = pytest.mark.integration


def test_a_closed_circuit_costs_no_round_trip_per_call(redis_url: str) -> None:
    breaker = CircuitBreaker("quiet", storage=RedisStorage(redis_url, refresh_interval=60))
    for _ in range(500):
        assert breaker.call(lambda: 1) == 1
    store = breaker._store
    assert store.round_trips <= 1  # type: ignore[attr-defined]


def test_open_is_refused_locally_and_manual_controls_are_shared(redis_url: str) -> None:
    storage = RedisStorage(redis_url, refresh_interval=60)
    one = CircuitBreaker("manual", recovery_timeout=30, storage=storage)
    two = CircuitBreaker("manual", recovery_timeout=30, storage=RedisStorage(redis_url))
    changes: list[CircuitState] = []
    two.add_listener(lambda old, new: changes.append(new))
    one.open()
    trips = one._store.round_trips  # type: ignore[attr-defined]
    for _ in range(100):
        with pytest.raises(CircuitOpenError):
            one.call(lambda: 1)
    assert one._store.round_trips == trips  # type: ignore[attr-defined]
    time.sleep(0.1)
    assert two.state is CircuitState.OPEN
    assert changes == [CircuitState.OPEN]
    two.reset()
    assert two.state is CircuitState.CLOSED
    assert "redis://" not in repr(storage)


def test_a_cancelled_probe_frees_its_slot_in_redis(redis_url: str) -> None:
    breaker = CircuitBreaker(
        "cancel", failure_threshold=1, recovery_timeout=0.05, storage=RedisStorage(redis_url)
    )

    def down() -> None:
        raise ConnectionError

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(ConnectionError):
        breaker.call(down)
    time.sleep(0.1)
    with pytest.raises(KeyboardInterrupt):
        breaker.call(interrupted)
    with pytest.raises(ConnectionError):
        breaker.call(down)  # the freed slot admits a probe, which fails and reopens
    assert breaker.state is CircuitState.OPEN


def test_storage_needs_exactly_one_target() -> None:
    from powertools.retry import RetryConfigError

    with pytest.raises(RetryConfigError):
        RedisStorage()
    with pytest.raises(RetryConfigError):
        RedisStorage("redis://x", refresh_interval=0)


def test_an_unreachable_redis_never_fails_the_protected_call(
    caplog: pytest.LogCaptureFixture,
) -> None:
    storage = RedisStorage("redis://127.0.0.1:1/0", refresh_interval=60)
    breaker = CircuitBreaker("offline", failure_threshold=1, storage=storage)
    assert breaker.call(lambda: "ok") == "ok"

    def down() -> None:
        raise ConnectionError("service down")

    with pytest.raises(ConnectionError, match="service down"):
        breaker.call(down)  # the trip cannot reach Redis: the service's own error surfaces
    assert breaker.state is CircuitState.CLOSED
    assert "Redis unreachable" in caplog.text
    assert "127.0.0.1:1" not in caplog.text


def test_a_redis_url_is_enough(redis_url: str) -> None:
    first = CircuitBreaker("by-url", storage=redis_url)
    second = CircuitBreaker("by-url", storage=redis_url)
    first.open()
    time.sleep(0.1)
    assert second.state is CircuitState.OPEN


async def test_async_callers_never_wait_on_redis_in_the_event_loop(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = RedisStorage(redis_url, refresh_interval=0.01)
    breaker = CircuitBreaker("async", failure_threshold=1, recovery_timeout=0.05, storage=storage)
    store = breaker._store
    round_trip_threads: list[int] = []
    original = store._run  # type: ignore[attr-defined]

    def spy(script: str, *args: object) -> object:
        round_trip_threads.append(threading.get_ident())
        return original(script, *args)

    monkeypatch.setattr(store, "_run", spy)

    async def down() -> None:
        raise ConnectionError

    async def ok() -> str:
        return "ok"

    with pytest.raises(ConnectionError):
        await breaker.acall(down)  # admits through Redis, then trips it
    with pytest.raises(CircuitOpenError):
        await breaker.acall(ok)  # refused from the local copy
    await asyncio.sleep(0.1)
    assert await breaker.acall(ok) == "ok"  # the probe, admitted and settled through Redis
    assert len(round_trip_threads) >= 3
    assert threading.get_ident() not in round_trip_threads
    assert breaker.state is CircuitState.CLOSED


def test_a_hung_probe_holds_no_second_round_and_times_out_in_redis(redis_url: str) -> None:
    name = f"hung-{time.monotonic_ns()}"

    def breaker() -> CircuitBreaker:  # two breakers, as in two processes
        return CircuitBreaker(
            name,
            failure_threshold=1,
            recovery_timeout=0.05,
            probe_timeout=1.0,
            storage=RedisStorage(redis_url, refresh_interval=0.01),
        )

    one, two = breaker(), breaker()
    one.open()
    time.sleep(0.1)
    assert one.available()
    hung = one.admit()  # this probe never settles
    assert hung.probe
    time.sleep(0.1)  # past the recovery timeout, well within the probe timeout
    with pytest.raises(CircuitOpenError):
        two.admit()  # no second round while the first probe runs
    assert not two.available()
    time.sleep(1.2)  # the probe timed out (failed) and the circuit recovered again
    fresh = two.admit()
    assert fresh.probe
    one.settle(hung, None, 0.0)  # too late: counts for nothing
    assert two.state is CircuitState.HALF_OPEN
    two.settle(fresh, None, 0.0)
    assert two.state is CircuitState.CLOSED


async def test_async_twins_repr_and_state_never_block_the_loop_on_redis(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = RedisStorage(redis_url, refresh_interval=0.01)
    name = f"twins-{time.monotonic_ns()}"
    breaker = CircuitBreaker(name, failure_threshold=1, recovery_timeout=0.05, storage=storage)
    store = breaker._store
    loop_thread = threading.get_ident()
    on_loop: list[str] = []
    original = store._run  # type: ignore[attr-defined]

    def spy(script: str, *args: object) -> object:
        if threading.get_ident() == loop_thread:
            on_loop.append(script)
        return original(script, *args)

    monkeypatch.setattr(store, "_run", spy)
    await asyncio.sleep(0.02)  # the local copy is stale: a sync read would go to Redis
    assert breaker.state is CircuitState.CLOSED
    assert "closed" in repr(breaker)
    assert await breaker.astate() is CircuitState.CLOSED
    admission = await breaker.aadmit()
    await breaker.asettle(admission, ConnectionError("down"), 0.0)  # trips, through a thread
    assert await breaker.astate() is CircuitState.OPEN
    await asyncio.sleep(0.1)
    assert breaker.available()
    gate = asyncio.Event()

    async def hang() -> None:
        await gate.wait()

    task = asyncio.create_task(breaker.acall(hang))  # the probe
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.05)  # the freed slot, handed back from a worker thread
    assert await breaker.acall(_aok) == "ok"
    assert await breaker.astate() is CircuitState.CLOSED
    assert on_loop == []


async def _aok() -> str:
    return "ok"

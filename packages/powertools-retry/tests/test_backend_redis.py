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

"""The Redis ledger itself: key lifetimes, URLs and options, a dead server, the call log."""

from __future__ import annotations

import socket
import time
import uuid
from typing import Any

import pytest

from powertools.cost import CallRecord, ConfigurationError, LedgerError, Usage

redis_backend = pytest.importorskip("powertools.cost.backends.redis")
RedisLedger = redis_backend.RedisLedger


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def record(rid: str, at: float) -> CallRecord:
    return CallRecord(rid, rid, at, "t", "gpt-4o", None, (), Usage(input=10), 25 * 10**9)


@pytest.mark.parametrize("key", ["team:q4-2026", "team:2026-13-45", "fleet:all", "global"])
def test_a_key_whose_suffix_is_no_calendar_window_never_ends(key: str) -> None:
    assert redis_backend.window_end(key) is None


def test_a_url_of_another_scheme_is_refused_with_the_schemes_to_use() -> None:
    with pytest.raises(ConfigurationError, match=r"http:// is not a Redis URL: use redis://"):
        RedisLedger.from_url("http://127.0.0.1:6379/0")


@pytest.mark.parametrize(
    ("options", "shown"),
    [({"keep_windows_for": -1.0}, "-1.0 and 90"), ({"retain_days": 0}, "2678400.0 and 0")],
)
def test_key_lifetimes_are_validated(options: dict[str, Any], shown: str) -> None:
    from redis.asyncio import Redis

    with pytest.raises(ValueError, match=f"retain_days a positive int, got {shown}"):
        RedisLedger(Redis(), **options)


async def test_a_dead_server_is_a_ledger_error_naming_the_cause() -> None:
    ledger = RedisLedger.from_url(f"redis://127.0.0.1:{closed_port()}/0")
    try:
        with pytest.raises(LedgerError, match=r"the Redis ledger failed: ConnectionError"):
            await ledger.totals("global:2026-11", time.time())
    finally:
        await ledger.aclose()


@pytest.mark.integration
async def test_a_total_windows_keys_never_expire_and_a_months_do(redis_url: str) -> None:
    ledger = RedisLedger.from_url(redis_url, prefix=f"t-{uuid.uuid4().hex}")
    now = time.time()
    month = time.strftime("%Y-%m", time.gmtime(now))
    try:
        for key in ("fleet-total:all", f"global:{month}"):
            assert await ledger.reserve(key, 100, 10, "r", expires_at=now + 60, now=now)
            assert await ledger.commit(key, "r", 10) == 10
            assert await ledger.first_alert(key, "5")
        forever = ledger._keys("fleet-total:all")
        monthly = ledger._keys(f"global:{month}")
        client = ledger.client
        assert [await client.ttl(k) for k in (forever[0], forever[3])] == [-1, -1]
        # until the month ends (at UTC+14) plus 31 days' grace: at least 31 days from now
        assert min([await client.ttl(k) for k in (monthly[0], monthly[3])]) >= 31 * 86_400
    finally:
        await ledger.aclose()


@pytest.mark.integration
async def test_calls_of_one_day_are_all_read_back_in_order(redis_url: str) -> None:
    ledger = RedisLedger.from_url(redis_url, prefix=f"t-{uuid.uuid4().hex}")
    noon = 1_764_072_000.0  # 2025-11-25 12:00 UTC
    try:
        for i, at in enumerate([noon + 60, noon, noon + 3600]):
            await ledger.append(record(f"call-{i}", at))
        assert [r.id for r in await ledger.records()] == ["call-1", "call-0", "call-2"]
        assert [r.id for r in await ledger.records(since=noon + 30)] == ["call-0", "call-2"]
        again = RedisLedger.from_url(redis_url, prefix=ledger.prefix)  # another process
        assert len(await again.records()) == 3
        await again.aclose()
    finally:
        await ledger.aclose()


@pytest.mark.integration
async def test_concurrent_first_commands_learn_a_clusters_slot_map_once(
    redis_cluster_url: str,
) -> None:
    import asyncio

    url = redis_cluster_url.replace("redis://", "redis+cluster://", 1)
    ledger = RedisLedger.from_url(url, prefix=f"t-{uuid.uuid4().hex}")
    initialize, calls = ledger.client.initialize, []

    async def counted() -> Any:
        calls.append(1)
        return await initialize()

    ledger.client.initialize = counted
    try:
        found = await asyncio.gather(*(ledger.totals(f"k{i}:2026-11", 0.0) for i in range(4)))
        assert found == [(0, 0)] * 4
        assert len(calls) == 1
    finally:
        await ledger.aclose()

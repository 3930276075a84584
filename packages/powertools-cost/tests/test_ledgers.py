"""Every ledger keeps the same contract: memory, SQLite, Redis, Redis Cluster, PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import pytest

from powertools.cost import (
    CostTracker,
    Ledger,
    LedgerError,
    MemoryLedger,
    MissingExtraError,
    Usage,
    open_ledger,
)
from powertools.cost.backends.sqlite import SQLiteLedger

KINDS = ["memory", "sqlite", "redis", "redis-cluster", "postgres"]
BIG = 10**28  # femto-dollars ($10 trillion): beyond 64-bit integers and exact doubles


@pytest.fixture(params=KINDS)
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    kind = request.param
    if kind == "memory":
        return "memory://"
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/ledger.db"
    if kind == "redis":
        return str(request.getfixturevalue("redis_url"))
    if kind == "redis-cluster":
        url = str(request.getfixturevalue("redis_cluster_url"))
        return url.replace("redis://", "redis+cluster://", 1)
    return str(request.getfixturevalue("postgres_dsn"))


@pytest.fixture
async def ledger(ledger_url: str) -> AsyncIterator[Ledger]:
    found = open_ledger(ledger_url)
    yield found
    await found.aclose()


def key() -> str:
    return f"test-{uuid.uuid4().hex}:2026-11"


@pytest.mark.integration
async def test_reserve_commit_release_and_expiry(ledger: Ledger) -> None:
    k = key()
    assert await ledger.reserve(k, 100, 60, "a", expires_at=10.0, now=0.0)
    assert not await ledger.reserve(k, 100, 41, "b", expires_at=10.0, now=0.0)
    assert await ledger.reserve(k, 100, 40, "b", expires_at=20.0, now=0.0)
    assert await ledger.totals(k, 0.0) == (0, 100)
    assert await ledger.commit(k, "a", 55) == 55
    await ledger.release(k, "b")
    assert await ledger.totals(k, 0.0) == (55, 0)
    assert await ledger.reserve(k, 100, 45, "c", expires_at=5.0, now=1.0)
    assert await ledger.totals(k, 5.0) == (55, 0)  # expired
    assert await ledger.reserve(k, 100, 45, "d", expires_at=50.0, now=5.0)


@pytest.mark.integration
async def test_amounts_beyond_64_bits_stay_exact(ledger: Ledger) -> None:
    k = key()
    assert await ledger.reserve(k, 3 * BIG + 7, BIG + 3, "a", expires_at=9.0, now=0.0)
    assert await ledger.commit(k, "a", BIG + 3) == BIG + 3
    assert await ledger.commit(k, "b", BIG + 999_999_999_999_999) == 2 * BIG + 1_000_000_000_000_002
    assert await ledger.reserve(
        k, 3 * BIG + 7, BIG - 1_000_000_000_000_002 + 7, "c", expires_at=9.0, now=0.0
    )
    assert not await ledger.reserve(k, 3 * BIG + 7, 1, "d", expires_at=9.0, now=0.0)


@pytest.mark.integration
async def test_alerts_fire_once_and_records_round_trip(ledger: Ledger) -> None:
    k = key()
    assert await ledger.first_alert(k, "8")
    assert not await ledger.first_alert(k, "8")
    assert await ledger.first_alert(k, "9")
    tracker = CostTracker(ledger=ledger, budget_usd=1, clock=lambda: 1_764_072_000.0)
    async with tracker.track_call("t", model="gpt-4o-mini", user="u") as span:
        span.record(Usage(input=1000, cache_read=5))
    stored = await ledger.records(since=1_764_072_000.0)
    assert [r.id for r in stored if r.span_id == span.id] == [span.records[0].id]
    report = await tracker.aget_daily_report()
    assert report.remaining == tracker.get_daily_report().remaining


@pytest.mark.integration
async def test_concurrent_reservations_never_pass_the_limit(ledger: Ledger) -> None:
    k = key()

    async def one(i: int) -> int:
        if await ledger.reserve(k, 1000, 7, f"r{i}", expires_at=1e12, now=0.0):
            await ledger.commit(k, f"r{i}", 7)
            return 7
        return 0

    spent = sum(await asyncio.gather(*(one(i) for i in range(200))))
    assert spent == 994
    assert await ledger.totals(k, 0.0) == (994, 0)


def test_unknown_scheme_and_missing_database_are_explained(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="no ledger for the URL scheme 'ftp'"):
        open_ledger("ftp://x")
    assert isinstance(open_ledger("sqlite://:memory:"), SQLiteLedger)
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(LedgerError, match="cannot open the SQLite ledger"):
        SQLiteLedger(tmp_path / "dir.db")


def test_sqlite_ledger_persists_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "cost.db"
    tracker = CostTracker(ledger=SQLiteLedger(path), budget_usd=1, clock=lambda: 0.0)
    with tracker.track_call("t", model="gpt-4o-mini") as span:
        span.record(Usage(input=1_000_000))
    again = SQLiteLedger(path)
    assert again.records_sync()[0].cost_fd == span.records[0].cost_fd
    assert again.totals_sync("global:1970-01", 0.0) == (150_000_000_000_000, 0)
    again.close()


def test_memory_ledger_is_the_default() -> None:
    assert isinstance(CostTracker().ledger, MemoryLedger)


def test_ledger_by_url_or_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    by_url = CostTracker(ledger=f"sqlite:///{tmp_path}/a.db")
    assert isinstance(by_url.ledger, SQLiteLedger)
    monkeypatch.setenv("POWERTOOLS_COST_LEDGER", f"sqlite:///{tmp_path}/b.db")
    tracker = CostTracker(budget_usd=1)
    assert isinstance(tracker.ledger, SQLiteLedger)
    with tracker.track_call("t", model="gpt-4o-mini") as span:
        span.record(Usage(output=1_000_000))
    assert span.cost == Decimal("0.6")
    assert tracker.get_daily_report().remaining == Decimal("0.4")


def test_a_missing_extra_names_the_extra_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    class Missing:
        def load(self) -> object:
            raise ImportError("No module named 'asyncpg'")

    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **_: [Missing()])
    with pytest.raises(MissingExtraError, match=r"pip install 'powertools-cost\[postgres\]'"):
        open_ledger("postgres://db")


@pytest.mark.integration
async def test_extend_keeps_a_live_hold_and_refuses_a_dead_one(ledger: Ledger) -> None:
    k = key()
    assert await ledger.reserve(k, 100, 60, "a", expires_at=10.0, now=0.0)
    assert await ledger.extend(k, "a", expires_at=30.0, now=9.0)
    assert await ledger.totals(k, 20.0) == (0, 60)  # held past its first expiry
    assert not await ledger.reserve(k, 100, 41, "b", expires_at=40.0, now=20.0)
    assert not await ledger.extend(k, "a", expires_at=60.0, now=30.0)  # expired at 30
    assert not await ledger.extend(k, "never-held", expires_at=60.0, now=0.0)
    assert await ledger.totals(k, 30.0) == (0, 0)
    assert await ledger.reserve(k, 100, 100, "c", expires_at=40.0, now=30.0)


class _FakeCluster:
    """Stands in for ``RedisCluster`` (no cluster runs here): records the URL it was built from."""

    built: ClassVar[list[str]] = []

    @classmethod
    def from_url(cls, url: str, **_: object) -> _FakeCluster:
        cls.built.append(url)
        return cls()

    def register_script(self, script: str) -> object:
        return script


@pytest.mark.parametrize(
    ("url", "client_url"),
    [
        ("redis+cluster://127.0.0.1:7000", "redis://127.0.0.1:7000"),
        ("rediss+cluster://u:pw@127.0.0.1:7000/0", "rediss://u:pw@127.0.0.1:7000/0"),
    ],
)
def test_cluster_urls_build_a_cluster_client(
    monkeypatch: pytest.MonkeyPatch, url: str, client_url: str
) -> None:
    from powertools.cost.backends import redis as backend

    monkeypatch.setattr(backend, "RedisCluster", _FakeCluster)
    _FakeCluster.built.clear()
    ledger = open_ledger(url)
    assert isinstance(ledger.client, _FakeCluster)  # type: ignore[attr-defined]
    assert _FakeCluster.built == [client_url]
    assert not ledger._ready  # type: ignore[attr-defined]  (learns the slot map first)


@pytest.mark.parametrize(
    ("url", "tls"), [("redis://127.0.0.1:6379/6", False), ("rediss://127.0.0.1:6379/6", True)]
)
def test_single_node_urls_build_a_plain_client(url: str, tls: bool) -> None:
    from redis.asyncio import Redis, SSLConnection
    from redis.asyncio.cluster import RedisCluster

    ledger = open_ledger(url)
    client = ledger.client  # type: ignore[attr-defined]
    assert isinstance(client, Redis)
    assert not isinstance(client, RedisCluster)
    pool = client.connection_pool
    assert pool.connection_kwargs["db"] == 6
    assert (pool.connection_class is SSLConnection) == tls


def test_a_cluster_client_passed_in_is_recognised_by_its_type() -> None:
    from redis.asyncio.cluster import RedisCluster

    from powertools.cost.backends.redis import RedisLedger

    ledger = RedisLedger(RedisCluster(host="127.0.0.1", port=7000))
    assert not ledger._ready  # initialised (slot map) before its first command


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/6?cluster=true", "rediss://u:secret@h:6379?cluster=1"]
)
def test_a_cluster_query_is_refused_with_the_url_to_write(url: str) -> None:
    from powertools.cost import ConfigurationError

    with pytest.raises(ConfigurationError, match=r"write rediss?\+cluster://") as info:
        open_ledger(url)
    assert isinstance(info.value, ValueError)
    assert "secret" not in str(info.value)


def test_a_cluster_argument_is_refused_with_the_url_to_write() -> None:
    from powertools.cost import ConfigurationError
    from powertools.cost.backends.redis import RedisLedger

    with pytest.raises(ConfigurationError, match=r"write redis\+cluster://127.0.0.1:7000 "):
        RedisLedger.from_url("redis://127.0.0.1:7000", cluster=True)

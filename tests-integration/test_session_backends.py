"""powertools.session on real services: Redis, Redis Cluster, PostgreSQL, S3 (moto), GCS."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from powertools.session import (
    AsyncSession,
    BackendError,
    ConflictError,
    CorruptSessionError,
    Session,
)

pytestmark = pytest.mark.integration

BACKENDS = ["redis", "redis_cluster", "postgres", "s3", "gcs"]


@pytest.fixture(autouse=True)
def _default_store_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default file store of these tests lives under tmp_path, never the home folder."""
    monkeypatch.setenv("POWERTOOLS_SESSION_DIR", str(tmp_path / "default-store"))
    monkeypatch.delenv("POWERTOOLS_SESSION_STORE", raising=False)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> str:
    """A fresh, empty store URL on each real backend."""
    kind = request.param
    if kind == "redis":
        return f"{request.getfixturevalue('redis_url')}?prefix=pt{secrets.token_hex(3)}"
    if kind == "redis_cluster":
        node = request.getfixturevalue("redis_cluster_url")
        return "redis+cluster://" + node.partition("://")[2]
    if kind == "postgres":
        dsn = request.getfixturevalue("postgres_dsn")
        return f"{dsn}?table=sessions_{secrets.token_hex(4)}"
    bucket = request.getfixturevalue(kind)
    return f"{bucket.url}/sessions"


def test_round_trip_list_backup_and_restore(store: str, tmp_path: Path) -> None:
    s = Session("project-abc", store=store)
    s.set("user_context", {"id": 123, "role": "admin"})
    s.set("conversation_history", [])
    for i in range(5):
        s.append("conversation_history", {"role": "user", "content": f"m{i}"})
    s.save()
    s.append("conversation_history", {"role": "user", "content": "after"})
    again = Session.recover("project-abc", store=store)
    assert again.get_all() == s.get_all()
    assert len(again.get("conversation_history")) == 6
    assert Session.list(store) == ["project-abc"]

    local = f"{tmp_path.as_uri()}/project-abc.backup"
    s.create_backup(local)
    s.clear()
    s.restore_backup(local)
    assert Session("project-abc", store=store).get("user_context") == {"id": 123, "role": "admin"}


def at(store: str, name: str) -> str:
    """The URL of session ``name`` in ``store`` (before any ``?options``)."""
    url, _, query = store.partition("?")
    return f"{url.rstrip('/')}/{name}" + (f"?{query}" if query else "")


def test_file_session_backed_up_to_this_store_and_restored(store: str) -> None:
    local = Session("proj")
    local.set("a", [1, 2, 3])
    local.create_backup(at(store, "proj.backup"))
    assert Session("proj.backup", store=store).get("a") == [1, 2, 3]
    local.set("a", "changed")
    local.restore_backup(at(store, "proj.backup"))
    assert Session("proj").get("a") == [1, 2, 3]


def test_compare_and_swap_reports_a_lost_race(store: str) -> None:
    first, second = Session("race", store=store), Session("race", store=store)
    first.set("a", 1)
    with pytest.raises(ConflictError):
        second.set("b", 2)
    lww = Session("race", store=store, on_conflict="last-writer-wins")
    first.set("c", 3)
    lww.append("log", "x")
    assert Session("race", store=store).get_all() == {"a": 1, "c": 3, "log": ["x"]}


WRITER = """
import sys
from powertools.session import ConflictError, Session
store, writer, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
session = Session("shared", store=store, on_conflict="last-writer-wins")
for i in range(count):
    session.append("log", f"{writer}-{i}")
"""


@pytest.mark.slow
def test_writers_in_several_processes_lose_no_update(store: str) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, store, f"w{n}", "12"]) for n in range(3)
    ]
    assert [p.wait(timeout=180) for p in procs] == [0, 0, 0]
    log = Session("shared", store=store).get("log")
    assert sorted(log) == sorted(f"w{n}-{i}" for n in range(3) for i in range(12))


async def test_sync_session_inside_a_running_loop_and_async_session(store: str) -> None:
    async def task(n: int) -> None:
        session.set(f"task{n}", n)  # the sync API, called from a coroutine

    session = Session("project", store=store)
    for n in range(3):
        await task(n)
    assert session.get_all() == {"task0": 0, "task1": 1, "task2": 2}
    a = await AsyncSession.open("project", store=store)
    await asyncio.gather(*(a.append("log", i) for i in range(5)))
    await a.save()
    assert sorted((await AsyncSession.open("project", store=store)).get("log")) == list(range(5))
    assert await AsyncSession.list(store) == ["project"]
    await a.aclose()


def test_ttl_expires_and_cleanup_removes(store: str) -> None:
    now = [1_000.0]

    def clock() -> float:
        return now[0]

    s = Session("short", store=store, ttl=30, clock=clock)
    s.set("a", 1)
    Session("long", store=store).set("a", 1)
    now[0] += 31
    assert Session("short", store=store, clock=clock).get_all() == {}
    if store.startswith("redis"):
        return  # Redis's own PEXPIRE removes it on Redis's clock; see the test below
    assert Session.cleanup(store, clock=clock) == ["short"]
    assert Session.list(store) == ["long"]


def test_redis_keys_share_one_slot_and_carry_the_ttl(redis_url: str) -> None:
    import redis

    Session("ttl", store=redis_url, ttl=60).set("a", 1)
    client = redis.Redis.from_url(redis_url)
    keys = sorted(k.decode() for k in client.keys("*"))
    assert keys == [
        "{powertools:session:ttl}:log",
        "{powertools:session:ttl}:snap",
        "{powertools:session:ttl}:ver",
    ] or keys == ["{powertools:session:ttl}:log", "{powertools:session:ttl}:ver"]
    assert 0 < client.pttl("{powertools:session:ttl}:ver") <= 60_000


def test_corrupt_redis_data_names_the_key(redis_url: str) -> None:
    import redis

    s = Session("bad", store=redis_url)
    s.set("a", 1)
    s.save()
    redis.Redis.from_url(redis_url).set("{powertools:session:bad}:snap", b"PTS1garbage")
    with pytest.raises(CorruptSessionError, match=r"\{powertools:session:bad\}:snap"):
        Session("bad", store=redis_url)


def test_missing_object_store_is_a_clear_error(aws: Any) -> None:
    with pytest.raises(
        BackendError, match=r"s3://no-such-bucket-here/x.session: S3 said NoSuchBucket"
    ):
        Session("x", store="s3://no-such-bucket-here").set("a", 1)

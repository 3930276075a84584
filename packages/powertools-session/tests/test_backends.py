"""The backend contract, the same on every store: CAS, journal, snapshot, names, delete, async.

Real services come from the testkit fixtures (skipped locally when missing, failing in CI).
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import pytest

from powertools.session import BackendError, ConflictError, JournalingBackend
from powertools.session._backend import open_backend
from powertools.session._envelope import Codec, Header
from powertools.session._serializers import JsonSerializer

STORES = ["memory", "file", "redis", "redis_cluster", "postgres", "s3", "gcs"]
CODEC = Codec(JsonSerializer(), None, None)


def blob(kind: str, name: str, version: int, value: object) -> bytes:
    return CODEC.seal(Header(kind, name, version, "json"), value)


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    kind = request.param
    if kind == "memory":
        return f"memory://{secrets.token_hex(4)}"
    if kind == "file":
        return tmp_path.as_uri()
    request.applymarker(pytest.mark.integration)
    if kind == "redis":
        return str(request.getfixturevalue("redis_url"))
    if kind == "redis_cluster":
        return str(request.getfixturevalue("redis_cluster_url"))
    if kind == "postgres":
        return f"{request.getfixturevalue('postgres_dsn')}?table=b_{secrets.token_hex(4)}"
    return f"{request.getfixturevalue(kind).url}/prefix"


def test_contract(store: str) -> None:
    backend = open_backend(store)
    try:
        assert backend.load("s") is None
        start = backend.initial_token
        token = backend.replace("s", blob("snap", "s", 1, {"a": 1}), 1, start, ttl=60)
        with pytest.raises(ConflictError):
            backend.replace("s", blob("snap", "s", 1, {}), 1, start, ttl=None)
        stored = backend.load("s")
        assert stored is not None
        assert (stored.token, stored.version, stored.records) == (token, 1, [])
        if isinstance(backend, JournalingBackend):
            record = blob("ops", "s", 2, [["set", "b", 2]])
            token = backend.append("s", record, 2, token, ttl=None)
            with pytest.raises(ConflictError):
                backend.append("s", record, 2, 1, ttl=None)
            stored = backend.load("s")
            assert stored is not None
            assert (stored.records, stored.version) == ([record], 2)
        assert backend.names() == ["s"]
        backend.delete("s")
        backend.delete("s")
        assert backend.load("s") is None
        assert backend.names() == []
    finally:
        backend.close()


async def test_async_contract(store: str) -> None:
    backend = open_backend(store)
    try:
        token = await backend.areplace(
            "a", blob("snap", "a", 1, {}), 1, backend.initial_token, None
        )
        if isinstance(backend, JournalingBackend):
            token = await backend.aappend("a", blob("ops", "a", 2, []), 2, token, None)
        stored = await backend.aload("a")
        assert stored is not None
        assert stored.token == token
        assert await backend.anames() == ["a"]
        await backend.adelete("a")
        assert await backend.aload("a") is None
    finally:
        await backend.aclose()


@pytest.mark.parametrize(
    ("url", "module", "extra"),
    [
        ("redis://127.0.0.1:6379/0", "redis", "redis"),
        ("postgresql://u@h/db", "asyncpg", "postgres"),
        ("s3://bucket", "boto3", "s3"),
        ("gs://bucket", "google.cloud.storage", "gcs"),
    ],
)
def test_missing_extra_names_it_in_one_line(
    url: str, module: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(BackendError) as info:
        open_backend(url)
    message = str(info.value)
    assert f"pip install 'powertools-session[{extra}]'" in message
    assert "\n" not in message


def test_password_in_a_bad_url_is_not_echoed() -> None:
    with pytest.raises(BackendError) as info:
        open_backend("nope://user:hunter2@host/x")
    assert "hunter2" not in str(info.value)
    assert "user:***@" in str(info.value)


def test_bad_postgres_table_name_is_refused() -> None:
    pytest.importorskip("asyncpg")
    with pytest.raises(BackendError, match="table name"):
        open_backend("postgresql://u@h/db?table=Robert';DROP")


def test_leases_exclude_each_other(store: str) -> None:
    backend, other = open_backend(store), open_backend(store)
    try:
        if store.startswith(("s3:", "gs:")):
            with pytest.raises(BackendError, match="no lease locks"):
                backend.try_lease("s", "me", 5)
            with pytest.raises(BackendError, match="no lease locks"):
                backend.release_lease("s", "me")
            return
        assert backend.try_lease("s", "me", 30)
        assert not other.try_lease("s", "you", 30)
        other.release_lease("s", "you")  # not the holder: nothing happens
        assert not other.try_lease("s", "you", 30)
        backend.release_lease("s", "me")
        assert other.try_lease("s", "you", 30)
        other.release_lease("s", "you")
    finally:
        backend.close()
        other.close()


@pytest.mark.integration
def test_s3_errors_other_than_conflicts_name_the_object(aws: object) -> None:
    backend = open_backend("s3://no-such-bucket-here/p")
    try:
        with pytest.raises(BackendError, match=r"s3://no-such-bucket-here/p/s\.session: S3 said"):
            backend.load("s")
        with pytest.raises(BackendError, match="NoSuchBucket"):
            backend.replace("s", blob("snap", "s", 1, {}), 1, None, None)
    finally:
        backend.close()


class _FakeConfigClient:
    def __init__(self, config: dict[str, str]) -> None:
        self.config = config

    def config_get(self, key: str) -> dict[bytes, bytes]:
        return {key.encode(): self.config[key].encode()} if key in self.config else {}


def test_redis_without_persistence_warns_once_per_server_and_mode(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from powertools.session.backends import redis as redis_backend

    client = _FakeConfigClient({"appendonly": "no", "save": ""})
    with caplog.at_level("WARNING", logger="powertools.session"):
        for durability in ("power", "power", "none"):
            redis_backend._check_persistence(client, "h:1", durability)  # type: ignore[arg-type]
    warned = [r.getMessage() for r in caplog.records if r.name == "powertools.session"]
    assert len(warned) == 1
    assert "redis://h:1 cannot give durability='power': persistence is off" in warned[0]


@pytest.mark.integration
def test_redis_persistence_is_checked_on_the_real_server(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    import redis

    from powertools.session.backends import redis as redis_backend

    with redis.Redis.from_url(redis_url, decode_responses=True) as client:
        config = {
            k: v
            for key in ("appendonly", "appendfsync", "save")
            for k, v in client.config_get(key).items()
        }
    redis_backend._WARNED.clear()
    with caplog.at_level("WARNING", logger="powertools.session"):
        open_backend(redis_url, "power").close()
    warned = [r.getMessage() for r in caplog.records if r.name == "powertools.session"]
    gap = redis_backend.persistence_gap(config, "power")
    assert len(warned) == (gap is not None)
    if gap is not None:
        assert gap in warned[0]

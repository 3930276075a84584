"""The backend contract, the same on every store: CAS, journal, snapshot, names, delete, async.

Real services come from the testkit fixtures (skipped locally when missing, failing in CI).
"""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest

from powertools.session import (
    BackendError,
    ConfigurationError,
    ConflictError,
    JournalingBackend,
    MissingExtraError,
)
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
        node = str(request.getfixturevalue("redis_cluster_url"))
        return "redis+cluster://" + node.partition("://")[2]  # the one way to say "cluster"
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
        ("redis://127.0.0.1:6379/5", "redis", "redis"),
        ("rediss://127.0.0.1:6379/5", "redis", "redis"),
        ("redis+cluster://127.0.0.1:7000", "redis", "redis"),
        ("rediss+cluster://127.0.0.1:7000", "redis", "redis"),
        ("postgresql://u@h/db", "asyncpg", "postgres"),
        ("s3://bucket", "boto3", "s3"),
        ("gs://bucket", "google.cloud.storage", "gcs"),
    ],
)
def test_missing_extra_names_it_in_one_line(
    url: str, module: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(MissingExtraError) as info:
        open_backend(url)
    scheme = url.partition(":")[0]
    assert str(info.value) == (
        f"the {scheme}:// session store needs an optional dependency: "
        f"pip install 'powertools-session[{extra}]'"
    )
    assert info.value.extra == extra
    assert isinstance(info.value, ImportError)
    assert isinstance(info.value, BackendError)


def test_missing_encryption_extra_names_it_when_keys_are_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from powertools.session import Session

    monkeypatch.setitem(sys.modules, "cryptography", None)
    with pytest.raises(MissingExtraError) as info:
        Session("s", store="memory://no-crypto", encryption_keys={"k": bytes(32)})
    assert str(info.value) == (
        "encryption_keys (AES-256-GCM) needs an optional dependency: "
        "pip install 'powertools-session[encryption]'"
    )
    assert info.value.extra == "encryption"


def test_without_the_fast_extra_json_falls_back_to_the_stdlib() -> None:
    # orjson (the ``fast`` extra) only speeds JSON up: without it nothing is missing to report.
    code = (
        "import sys; sys.modules['orjson'] = None\n"
        "from powertools.session import Session, _serializers\n"
        "assert _serializers._orjson is None\n"
        "s = Session('s', store='memory://no-orjson')\n"
        "s.set('a', {'b': [1, 2]})\n"
        "print(Session('s', store='memory://no-orjson').get_all())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "{'a': {'b': [1, 2]}}"


class _FakeCluster:
    """Stands in for ``RedisCluster`` (no cluster runs here): records the URL it was built from."""

    built: ClassVar[list[str]] = []

    @classmethod
    def from_url(cls, url: str) -> _FakeCluster:
        cls.built.append(url)
        return cls()

    def register_script(self, script: str) -> object:
        return script

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    ("url", "built"),
    [
        ("redis+cluster://127.0.0.1:7000", "redis://127.0.0.1:7000"),
        ("rediss+cluster://u:pw@127.0.0.1:7000/0?prefix=p", "rediss://u:pw@127.0.0.1:7000/0"),
    ],
)
def test_redis_cluster_urls_build_a_cluster_client(
    url: str, built: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("redis")
    from redis import cluster

    from powertools.session.backends.redis import RedisBackend

    _FakeCluster.built.clear()
    monkeypatch.setattr(cluster, "RedisCluster", _FakeCluster)
    backend = open_backend(url, "none")
    assert isinstance(backend, RedisBackend)
    assert isinstance(backend.client, _FakeCluster)
    assert _FakeCluster.built == [built]


@pytest.mark.parametrize(
    ("url", "tls"), [("redis://127.0.0.1:6379/5", False), ("rediss://127.0.0.1:6379/5", True)]
)
def test_plain_redis_urls_build_a_single_node_client(url: str, tls: bool) -> None:
    redis = pytest.importorskip("redis")
    from redis import cluster

    backend = open_backend(url, "none")  # "none": no CONFIG GET, so nothing is sent yet
    try:
        client = backend.client  # type: ignore[attr-defined]
        assert isinstance(client, redis.Redis)
        assert not isinstance(client, cluster.RedisCluster)
        assert client.connection_pool.connection_kwargs["db"] == 5
        assert issubclass(client.connection_pool.connection_class, redis.SSLConnection) == tls
    finally:
        backend.close()


@pytest.mark.parametrize(
    "url", ["redis://127.0.0.1:6379/5?cluster=true", "rediss://u:secret@h:6379?cluster=1"]
)
def test_a_cluster_query_is_refused_with_the_url_to_write(url: str) -> None:
    pytest.importorskip("redis")
    with pytest.raises(ConfigurationError, match=r"write redis\+cluster://h?[\w.:]*") as info:
        open_backend(url, "none")
    assert isinstance(info.value, ValueError)
    assert "secret" not in str(info.value)


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

"""The backend contract, the same on every store: CAS, journal, snapshot, names, delete, async.

Real services come from the testkit fixtures (skipped locally when missing, failing in CI).
"""

from __future__ import annotations

import asyncio
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
    CorruptSessionError,
    JournalingBackend,
    MissingExtraError,
    Session,
)
from powertools.session._backend import Backend, Durability, Stored, Token, open_backend
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
        if not store.startswith("gs:"):  # fake-gcs-server ignores ifGenerationMatch on delete
            assert backend.delete_if("s", start) is False  # a stale token deletes nothing
            assert backend.load("s") is not None
        assert backend.delete_if("s", token) is True
        assert backend.load("s") is None
        assert backend.delete_if("s", token) is False  # nothing left to delete
        backend.replace("s", blob("snap", "s", 1, {}), 1, backend.initial_token, ttl=None)
        backend.delete("s")
        backend.delete("s")
        backend.accept("s")  # nothing marked: nothing to do
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
        with pytest.raises(BackendError, match="NoSuchBucket"):
            backend.delete_if("s", '"an-etag"')
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


class _DictBackend(Backend):
    """A minimal third-party store: the abstract methods only, every default inherited."""

    def __init__(self) -> None:
        super().__init__("none")
        self.objects: dict[str, tuple[bytes, int]] = {}

    @classmethod
    def from_url(cls, url: str, durability: Durability) -> _DictBackend:
        return cls()

    def load(self, name: str, recover: bool = False) -> Stored | None:
        got = self.objects.get(name)
        if got is None:
            return None
        return Stored(got[0], [], got[1], got[1], f"dict:{name}", f"dict:{name}")

    def replace(
        self, name: str, snapshot: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        current = self.objects.get(name, (b"", 0))[1]
        if current != expected:
            raise ConflictError(name, int(expected or 0), current)
        self.objects[name] = (snapshot, version)
        return version

    def delete(self, name: str) -> None:
        self.objects.pop(name, None)

    def names(self) -> list[str]:
        return sorted(self.objects)


def test_a_store_without_compare_and_delete_still_refuses_a_stale_token() -> None:
    backend = _DictBackend()
    old = backend.replace("s", blob("snap", "s", 1, {"a": 1}), 1, 0, None)
    new = backend.replace("s", blob("snap", "s", 2, {"a": 2}), 2, old, None)
    assert backend.delete_if("s", old) is False
    assert backend.names() == ["s"]
    assert backend.delete_if("s", new) is True
    assert backend.names() == []
    assert backend.delete_if("s", new) is False


def test_a_store_without_quarantine_refuses_to_recover_and_keeps_the_damage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = _DictBackend()
    monkeypatch.setattr("powertools.session._options.open_backend", lambda *_: backend)
    Session("s", compression=None).set("a", 1)
    damaged = bytearray(backend.objects["s"][0])
    damaged[-3] ^= 0x01
    backend.objects["s"] = (bytes(damaged), 1)
    with pytest.raises(CorruptSessionError, match=r"dict:s is corrupt \(_DictBackend keeps no"):
        Session.recover("s", compression=None)
    assert backend.objects["s"] == (bytes(damaged), 1)


@pytest.mark.parametrize(
    ("config", "durability", "gap"),
    [
        ({"appendonly": "no", "save": ""}, "none", None),
        ({"appendonly": "no", "save": "3600 1"}, "process", None),
        ({"appendonly": "no", "save": "3600 1"}, "power", "only RDB snapshots are on"),
        ({"appendonly": "no", "save": ""}, "process", "persistence is off"),
        ({"appendonly": "yes"}, "power", "appendfsync is everysec, not always"),
        ({"appendonly": "yes", "appendfsync": "no"}, "process", None),
        ({"appendonly": "yes", "appendfsync": "always"}, "power", None),
    ],
)
def test_what_redis_persistence_can_give_each_durability(
    config: dict[str, str], durability: Durability, gap: str | None
) -> None:
    from powertools.session.backends.redis import persistence_gap

    found = persistence_gap(config, durability)
    if gap is None:
        assert found is None
    else:
        assert found is not None
        assert found.startswith(gap)


def test_a_redis_server_that_gives_the_durability_draws_no_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from powertools.session.backends import redis as redis_backend

    client = _FakeConfigClient({"appendonly": "yes", "appendfsync": "always"})
    with caplog.at_level("WARNING", logger="powertools.session"):
        redis_backend._check_persistence(client, "durable:1", "power")
    assert [r for r in caplog.records if r.name == "powertools.session"] == []


def test_a_dead_redis_server_is_warned_about_when_its_persistence_cannot_be_read(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pytest.importorskip("redis")
    from powertools_testkit import free_port

    port = free_port()  # nothing listens there
    with caplog.at_level("WARNING", logger="powertools.session"):
        backend = open_backend(f"redis://127.0.0.1:{port}/0", "process")
    backend.close()
    warned = [r.getMessage() for r in caplog.records if r.name == "powertools.session"]
    assert len(warned) == 1
    assert warned[0].startswith(f"redis://127.0.0.1:{port}: cannot check persistence (")
    assert "durability='process' is only as good as the server's" in warned[0]


def test_a_url_of_another_scheme_is_not_taken_for_redis() -> None:
    from urllib.parse import urlsplit

    from powertools.session.backends.redis import redis_client

    with pytest.raises(ConfigurationError, match=r"^valkey:// is not a Redis URL: use redis://"):
        redis_client(urlsplit("valkey://127.0.0.1:6379/0"), {})


@pytest.mark.parametrize("scheme", ["redis", "postgresql"])
async def test_a_store_server_that_is_down_raises_backend_error_naming_it(scheme: str) -> None:
    pytest.importorskip("redis" if scheme == "redis" else "asyncpg")
    from powertools.session import AsyncSession
    from powertools_testkit import free_port

    port = free_port()  # nothing listens there
    url = f"{scheme}://user:hunter2@127.0.0.1:{port}/0"
    names_the_server = rf"^{scheme}://(user:\*\*\*@)?127\.0\.0\.1:{port}"
    with pytest.raises(BackendError, match=names_the_server):
        await asyncio.to_thread(Session, "s", store=url, durability="none")
    with pytest.raises(BackendError, match=names_the_server):
        await AsyncSession.open("s", store=url, durability="none")
    with pytest.raises(BackendError) as caught:
        await asyncio.to_thread(Session.list, url)
    assert "hunter2" not in str(caught.value)
    assert type(caught.value.__cause__).__name__ in str(caught.value)  # the cause, named


def test_a_write_refused_after_a_delete_leaves_no_name_behind(store: str) -> None:
    backend = open_backend(store)
    try:
        token = backend.replace("s", blob("snap", "s", 1, {"a": 1}), 1, backend.initial_token, None)
        backend.delete("s")  # a cleanup, say, while a writer still holds version 1
        with pytest.raises(ConflictError):
            backend.replace("s", blob("snap", "s", 2, {"a": 2}), 2, token, None)
        if isinstance(backend, JournalingBackend):
            with pytest.raises(ConflictError):
                backend.append("s", blob("ops", "s", 2, []), 2, token, None)
        assert backend.names() == []
        assert backend.load("s") is None
    finally:
        backend.close()

"""Read-modify-write: three-way merges, ``update_with``, copies from ``get``, and cleanup that
never deletes a session a writer has just refreshed."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from powertools.session import AsyncSession, ConflictError, Session, SessionError
from powertools.session._backend import Backend, Stored, open_backend
from powertools.session._core import MAX_CONFLICT_RETRIES
from powertools.session.testing import FakeClock, memory_store


@pytest.fixture(params=["memory", "file", "redis", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return f"memory://{secrets.token_hex(4)}"
    if request.param == "file":
        return (tmp_path / "store").as_uri()
    request.applymarker(pytest.mark.integration)
    if request.param == "redis":
        return f"{request.getfixturevalue('redis_url')}?prefix=m{secrets.token_hex(3)}"
    return f"{request.getfixturevalue('postgres_dsn')}?table=m_{secrets.token_hex(4)}"


def test_a_three_way_merge_adds_both_increments(store: str) -> None:
    def merge(base: dict[str, Any], theirs: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
        return {**theirs, "n": theirs["n"] + ours["n"] - base["n"]}

    Session("c", store=store).set("n", 5)
    first, second = Session("c", store=store), Session("c", store=store, on_conflict=merge)
    first.set("n", first.get("n") + 1)
    second.set("n", second.get("n") + 1)  # based on 5: conflicts, merged onto 6
    assert Session("c", store=store).get("n") == 7


def test_a_three_way_merge_sees_the_base_of_staged_changes(store: str) -> None:
    seen: list[tuple[Any, Any, Any]] = []

    def merge(base: dict[str, Any], theirs: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
        seen.append((base["n"], theirs["n"], ours["n"]))
        return {**theirs, "n": theirs["n"] + ours["n"] - base["n"]}

    Session("c", store=store).set("n", 5)
    staged = Session("c", store=store, auto_save=False, on_conflict=merge)
    staged.set("n", 6)
    staged.set("n", 7)  # +2 over the base, not yet saved
    Session("c", store=store).set("n", 10)
    staged.save()
    assert seen == [(5, 10, 7)]
    assert Session("c", store=store).get("n") == 12


def test_update_with_loses_no_increment_to_a_concurrent_writer(store: str) -> None:
    Session("c", store=store).set("n", 5)
    mine, other = Session("c", store=store), Session("c", store=store)
    calls = 0

    def increment(data: dict[str, Any]) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls == 1:  # another process increments between our read and our write
            other.update_with(lambda d: {**d, "n": d["n"] + 1})
        return {**data, "n": data["n"] + 1}

    assert mine.update_with(increment) == {"n": 7}
    assert calls == 2
    assert Session("c", store=store).get("n") == 7


def test_update_with_in_place_changes_and_deletes(store: str) -> None:
    s = Session("c", store=store)
    s.update(a=1, b=[1])

    def change(data: dict[str, Any]) -> None:
        data["b"].append(2)
        del data["a"]

    assert s.update_with(change) == {"b": [1, 2]}
    assert Session("c", store=store).get_all() == {"b": [1, 2]}
    version = s.version
    assert s.update_with(lambda d: None) == {"b": [1, 2]}
    assert s.version == version  # nothing changed, nothing written


def test_update_with_refuses_staged_changes_and_bad_results() -> None:
    s = Session("c", store="memory://uw-refuse", auto_save=False)
    s.set("a", 1)
    with pytest.raises(SessionError, match="unsaved changes"):
        s.update_with(lambda d: d)
    s.save()
    with pytest.raises(TypeError, match="returned list"):
        s.update_with(lambda d: [1])  # type: ignore[arg-type, return-value]


async def test_async_update_with_loses_no_increment(store: str) -> None:
    await (await AsyncSession.open("c", store=store)).set("n", 5)
    mine = await AsyncSession.open("c", store=store)
    other = await AsyncSession.open("c", store=store)
    await other.update_with(lambda d: {**d, "n": d["n"] + 1})
    assert await mine.update_with(lambda d: {**d, "n": d["n"] + 1}) == {"n": 7}


def test_last_writer_wins_replays_a_stale_set_as_documented() -> None:
    store = "memory://lww-doc"
    Session("c", store=store).set("n", 5)
    first = Session("c", store=store, on_conflict="last-writer-wins")
    second = Session("c", store=store, on_conflict="last-writer-wins")
    first.set("n", 6)
    second.set("n", 6)  # a stale read-modify-write: documented, use update_with instead
    assert Session("c", store=store).get("n") == 6


def test_get_returns_a_copy_that_is_never_saved_behind_your_back(store: str) -> None:
    s = Session("c", store=store)
    s.set("history", [1])
    got = s.get("history")
    got.append(2)
    assert s.get("history") == [1]
    s.set("other", 1)
    s.save()
    assert Session("c", store=store).get("history") == [1]
    assert s.get("missing", "default") == "default"


class _RacingBackend:
    """A backend whose ``load`` lets a writer refresh the session right after it returns."""

    def __init__(self, inner: Backend, refresh: Any) -> None:
        self._inner = inner
        self._refresh = refresh

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._inner, attr)

    def load(self, name: str, recover: bool = False) -> Stored | None:
        stored = self._inner.load(name, recover)
        self._refresh()
        return stored

    async def aload(self, name: str, recover: bool = False) -> Stored | None:
        stored = await self._inner.aload(name, recover)
        self._refresh()
        return stored


def _race(store: str, monkeypatch: pytest.MonkeyPatch, module: str) -> FakeClock:
    clock = FakeClock()
    Session("c", store=store, ttl=60, clock=clock).set("a", 1)
    clock.advance(61)
    writer = Session("c", store=store, ttl=60, clock=clock)
    done: list[bool] = []

    def refresh() -> None:
        if not done:
            done.append(True)
            writer.set("b", 2)  # acknowledged: the session lives another 60 s

    def racing(url: str | None, *args: Any) -> Any:
        return _RacingBackend(open_backend(url, *args), refresh)

    monkeypatch.setattr(f"powertools.session.{module}.open_backend", racing)
    return clock


def test_cleanup_racing_a_writer_deletes_nothing_acknowledged(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _race(store, monkeypatch, "_flows")
    assert Session.cleanup(store, clock=clock) == []
    assert Session("c", store=store, clock=clock).get_all() == {"b": 2}


async def test_async_cleanup_racing_a_writer_deletes_nothing_acknowledged(
    store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = _race(store, monkeypatch, "_flows")
    assert await AsyncSession.cleanup(store, clock=clock) == []
    assert Session("c", store=store, clock=clock).get_all() == {"b": 2}


def test_a_writer_that_loses_every_compare_and_swap_gives_up_with_conflict_error() -> None:
    store = memory_store()
    other = Session("c", store=store)
    other.set("n", 0)
    calls: list[int] = []

    def merge(theirs: dict[str, Any], ours: dict[str, Any]) -> dict[str, Any]:
        calls.append(1)
        other.set("n", other.get("n") + 1)  # the other writer wins again before our retry
        return {**theirs, **ours}

    loser = Session("c", store=store, on_conflict=merge)
    other.set("n", 1)
    with pytest.raises(ConflictError, match="session 'c' changed under us"):
        loser.set("mine", True)
    assert len(calls) == MAX_CONFLICT_RETRIES
    assert Session("c", store=store).get_all() == {"n": 1 + MAX_CONFLICT_RETRIES}


def test_update_with_gives_up_after_losing_every_retry() -> None:
    store = memory_store()
    other = Session("c", store=store)
    other.set("n", 0)
    calls: list[int] = []

    def bump(data: dict[str, Any]) -> dict[str, Any]:
        calls.append(1)
        other.set("n", other.get("n") + 1)  # a concurrent writer, always just ahead
        return {**data, "n": data["n"] + 100}

    with pytest.raises(ConflictError):
        Session("c", store=store).update_with(bump)
    assert len(calls) == MAX_CONFLICT_RETRIES
    assert Session("c", store=store).get("n") == MAX_CONFLICT_RETRIES


def test_a_merge_function_that_returns_no_dict_is_refused_and_stores_nothing() -> None:
    store = memory_store()
    mine = Session("c", store=store, on_conflict=lambda theirs, ours: list(ours))
    Session("c", store=store).set("theirs", 1)
    with pytest.raises(TypeError, match="on_conflict merge function returned list, not a dict"):
        mine.set("ours", 2)
    assert Session("c", store=store).get_all() == {"theirs": 1}


def _refresh_before_the_delete_request(
    kind: str, backend: Any, refresh: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Let a writer refresh the session right before the store receives the delete."""
    if kind == "s3":
        backend.client.meta.events.register("before-call.s3.DeleteObject", lambda **_: refresh())
        return
    from google.cloud.storage.blob import Blob

    delete = Blob.delete

    def refreshed_first(blob: Any, *args: Any, **kwargs: Any) -> Any:
        refresh()
        return delete(blob, *args, **kwargs)

    monkeypatch.setattr(Blob, "delete", refreshed_first)


_EMULATOR_DELETES_ANYWAY = pytest.mark.xfail(
    reason="fake-gcs-server ignores ifGenerationMatch on delete (GCS itself honours it)",
    strict=True,
)


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["s3", pytest.param("gcs", marks=_EMULATOR_DELETES_ANYWAY)])
def test_an_object_store_cleanup_deletes_nothing_rewritten_just_before_its_delete(
    kind: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = f"{request.getfixturevalue(kind).url}/rmw"
    clock = FakeClock()
    Session("c", store=store, ttl=60, clock=clock).set("a", 1)
    clock.advance(61)
    writer = Session("c", store=store, ttl=60, clock=clock)
    done: list[bool] = []

    def refresh() -> None:
        if not done:
            done.append(True)
            writer.set("b", 2)  # acknowledged between the expiry check and the delete

    def hooked(url: str | None, *args: Any) -> Any:
        backend = open_backend(url, *args)
        _refresh_before_the_delete_request(kind, backend, refresh, monkeypatch)
        return backend

    monkeypatch.setattr("powertools.session._flows.open_backend", hooked)
    assert Session.cleanup(store, clock=clock) == []
    assert done == [True]
    assert Session("c", store=store, clock=clock).get_all() == {"b": 2}


@pytest.mark.integration
def test_a_gcs_cleanup_asks_to_delete_only_the_generation_it_found_expired(
    gcs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from google.cloud.storage.blob import Blob

    store = f"{gcs.url}/rmw"
    clock = FakeClock()
    Session("c", store=store, ttl=60, clock=clock).set("a", 1)
    generation = gcs.client.bucket(gcs.name).get_blob("rmw/c.session").generation
    clock.advance(61)
    asked: list[dict[str, Any]] = []
    delete = Blob.delete

    def recorded(blob: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs)
        return delete(blob, *args, **kwargs)

    monkeypatch.setattr(Blob, "delete", recorded)
    assert Session.cleanup(store, clock=clock) == ["c"]
    assert asked == [{"if_generation_match": generation}]
    assert Session.list(store) == []


@pytest.mark.integration
def test_cleanup_leaves_a_redis_session_whose_data_keys_were_evicted(redis_url: str) -> None:
    import redis

    store = f"{redis_url}?prefix=ev{secrets.token_hex(3)}"
    clock = FakeClock()
    Session("c", store=store, ttl=60, clock=clock).set("a", 1)
    prefix = store.partition("?prefix=")[2]
    with redis.Redis.from_url(redis_url) as client:
        client.delete(f"{{{prefix}:c}}:log")  # evicted (maxmemory), its version key kept
    clock.advance(61)
    assert Session.cleanup(store, clock=clock) == []  # nothing says it expired: left to recover
    assert Session.list(store) == ["c"]
    recovered = Session.recover("c", store=store, accept=True, clock=clock)
    assert recovered.recovery is not None
    assert recovered.recovery.missing == ((1, 1),)


@pytest.mark.parametrize(
    "kind", ["memory", "file", pytest.param("s3", marks=pytest.mark.integration)]
)
def test_a_writer_behind_a_deleted_session_conflicts_and_last_writer_wins_rewrites_it(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if kind == "s3":
        store = f"{request.getfixturevalue('s3').url}/rmw"
    else:
        store = memory_store() if kind == "memory" else (tmp_path / "store").as_uri()
    Session("c", store=store).set("a", 1)
    strict = Session("c", store=store)
    relaxed = Session("c", store=store, on_conflict="last-writer-wins")
    open_backend(store).delete("c")  # removed (a cleanup, an operator) under both writers
    with pytest.raises(ConflictError, match="session 'c' changed under us"):
        strict.set("b", 2)
    assert Session.list(store) == []  # the refused write left nothing behind
    relaxed.set("b", 2)  # rebased onto "no session": only its own change is written
    assert Session("c", store=store).get_all() == {"b": 2}
    assert Session.list(store) == ["c"]

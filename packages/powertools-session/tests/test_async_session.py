"""AsyncSession: the same sessions from asyncio code."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from powertools.session import (
    AsyncSession,
    ConflictError,
    Session,
    SessionError,
    SessionNotFoundError,
)
from powertools.session.testing import memory_store


async def test_async_session_round_trip_and_interop_with_session() -> None:
    async with AsyncSession("a") as s:
        await s.set("user", {"id": 1})
        await s.append("history", "hi")
        await s.update(x=1)
        await s.delete("x")
        assert s.keys() == ["user", "history"]
        assert s.get("user") == {"id": 1}
        assert repr(s).startswith("AsyncSession('a', version=4")
    assert Session("a").get_all() == {"user": {"id": 1}, "history": ["hi"]}
    again = await AsyncSession.open("a")
    assert again.get_all() == {"user": {"id": 1}, "history": ["hi"]}
    await again.clear()
    assert Session("a").get_all() == {}


async def test_many_tasks_share_one_async_session() -> None:
    s = await AsyncSession.open("tasks", durability="none")
    await asyncio.gather(*(s.append("log", i) for i in range(40)))
    assert sorted((await AsyncSession.open("tasks")).get("log")) == list(range(40))


async def test_manual_save_backup_restore_list_and_cleanup(tmp_path: Path, clock: Any) -> None:
    s = AsyncSession("m", auto_save=False, ttl=10, clock=clock)
    await s.set("a", 1)
    assert (await AsyncSession.open("m", clock=clock)).get_all() == {}
    await s.save()
    assert (await AsyncSession.open("m", clock=clock)).get_all() == {"a": 1}
    target = f"{tmp_path.as_uri()}/m.backup"
    await s.create_backup(target)
    await s.set("a", 2)
    await s.restore_backup(target)
    assert s.get("a") == 1
    with pytest.raises(SessionNotFoundError):
        await s.restore_backup("nothing-here")
    await s.aclose()  # saves the restore
    assert (await AsyncSession.open("m", clock=clock)).get_all() == {"a": 1}
    assert await AsyncSession.list() == ["m"]
    clock.now += 11
    assert await AsyncSession.cleanup(clock=clock) == ["m"]
    assert await AsyncSession.list() == []


async def test_async_conflicts_follow_the_policy() -> None:
    first = await AsyncSession.open("c")
    second = await AsyncSession.open("c")
    lww = await AsyncSession.open("c", on_conflict="last-writer-wins")
    await first.set("a", 1)
    with pytest.raises(ConflictError):
        await second.set("b", 2)
    await lww.append("log", 1)
    assert (await AsyncSession.open("c")).get_all() == {"a": 1, "log": [1]}


async def test_async_recover_uses_the_previous_snapshot(session_dir: Path) -> None:
    s = await AsyncSession.open("r")
    await s.set("a", 1)
    await s.save()
    await s.set("a", 2)
    await s.save()
    (session_dir / "r.snap").write_bytes(b"junk")
    assert (await AsyncSession.recover("r")).get_all() == {"a": 1}


async def test_reading_before_loading_is_a_clear_error() -> None:
    s = AsyncSession("unloaded")
    with pytest.raises(SessionError, match="not loaded yet"):
        s.get("a")
    await s.load()
    assert s.get("a") is None
    assert len(s) == 0
    assert "a" not in s


async def test_stores_are_opened_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening a store can block (a Redis round trip, an entry-point scan, client setup)."""
    import threading

    from powertools.session import _flows, _options
    from powertools.session._backend import open_backend

    loop_thread = threading.get_ident()
    on_loop: list[str] = []

    def watched(url: str | None, *args: Any) -> Any:
        if threading.get_ident() == loop_thread:
            on_loop.append(str(url))
        return open_backend(url, *args)

    monkeypatch.setattr(_options, "open_backend", watched)
    monkeypatch.setattr(_flows, "open_backend", watched)
    store = "memory://off-loop"
    s = await AsyncSession.open("s", store=store)
    await s.set("a", 1)
    await s.create_backup("s.backup")
    await s.restore_backup("s.backup")
    await AsyncSession.recover("s", store=store)
    await AsyncSession.list(store)
    await AsyncSession.cleanup(store)
    assert on_loop == []


async def test_constructing_on_the_loop_does_no_io(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``AsyncSession(...)`` only checks its options: the store opens on the first await."""
    import builtins

    from powertools.session import _options
    from powertools.session._backend import open_backend

    opened: list[str] = []
    files: list[str] = []
    real_open = builtins.open

    def watched(url: str | None, *args: Any) -> Any:
        opened.append(str(url))
        return open_backend(url, *args)

    def watched_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        files.append(str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(_options, "open_backend", watched)
    folder = tmp_path / "lazy-store"
    store = folder.as_uri()
    monkeypatch.setattr(builtins, "open", watched_open)
    s = AsyncSession("lazy", store=store)
    monkeypatch.setattr(builtins, "open", real_open)
    assert (opened, files) == ([], [])
    assert not folder.exists()  # the file store would have made its folder
    assert s.version == 0
    with pytest.raises(SessionError, match="not loaded yet"):
        s.get("a")
    await s.set("a", 1)  # the first await opens and loads
    assert opened == [store]
    assert folder.is_dir()
    assert s.get("a") == 1
    async with AsyncSession("lazy", store=store) as again:
        assert again.get_all() == {"a": 1}
    assert opened == [store, store]
    unopened = AsyncSession("never", store=store)
    await unopened.aclose()  # nothing was opened, so nothing to close
    assert opened == [store, store]


async def test_both_shells_run_the_same_flows(monkeypatch: pytest.MonkeyPatch) -> None:
    """One core, thin shells: each public operation of either class is one shared flow."""
    from powertools.session import _flows

    ran: dict[str, list[str]] = {"sync": [], "async": []}
    side = ["sync"]
    for name in _flows.__all__:
        real = getattr(_flows, name)
        if name in ("Call", "Flow", "drive", "adrive"):
            continue

        def recorded(*args: Any, _real: Any = real, _name: str = name) -> Any:
            ran[side[0]].append(_name)
            return _real(*args)

        monkeypatch.setattr(_flows, name, recorded)

    store = "memory://same-flows"
    s = Session("s", store=store)
    s.set("a", 1)
    s.update_with(lambda d: {**d, "n": 1})
    s.create_backup("s.bak")
    s.restore_backup("s.bak")
    s.save()
    with s.lock():
        pass
    Session.recover("s", store=store)
    Session.list(store)
    Session.cleanup(store)
    s.close()

    side[0] = "async"
    a = AsyncSession("s", store=store.replace("same", "same-async"))
    await a.set("a", 1)
    await a.update_with(lambda d: {**d, "n": 1})
    await a.create_backup("s.bak")
    await a.restore_backup("s.bak")
    await a.save()
    async with a.lock():
        pass
    await AsyncSession.recover("s", store=store)
    await AsyncSession.list(store)
    await AsyncSession.cleanup(store)
    await a.aclose()
    assert ran["sync"] == ran["async"]
    assert {"change", "update_with", "create_backup", "save", "take_lease", "recover"} <= set(
        ran["sync"]
    )


async def test_closing_a_session_never_opened_writes_nothing() -> None:
    store = memory_store()
    s = AsyncSession("idle", store=store)
    await s.aclose()
    async with AsyncSession("idle", store=store):
        pass
    assert await AsyncSession.list(store) == []

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

    from powertools.session import _async_session, _options
    from powertools.session._backend import open_backend

    loop_thread = threading.get_ident()
    on_loop: list[str] = []

    def watched(url: str | None, *args: Any) -> Any:
        if threading.get_ident() == loop_thread:
            on_loop.append(str(url))
        return open_backend(url, *args)

    monkeypatch.setattr(_options, "open_backend", watched)
    monkeypatch.setattr(_async_session, "open_backend", watched)
    store = "memory://off-loop"
    s = await AsyncSession.open("s", store=store)
    await s.set("a", 1)
    await s.create_backup("s.backup")
    await s.restore_backup("s.backup")
    await AsyncSession.recover("s", store=store)
    await AsyncSession.list(store)
    await AsyncSession.cleanup(store)
    assert on_loop == []

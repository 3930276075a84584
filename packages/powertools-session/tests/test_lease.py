"""Session.lock(): an exclusive lease, with the version as fencing token."""

from __future__ import annotations

import pytest

from powertools.session import AsyncSession, ConflictError, Session, SessionLockedError
from powertools.session.testing import memory_store


@pytest.mark.parametrize("store", ["memory://lease", None])
def test_lock_is_exclusive_and_reloads_on_entry(store: str | None) -> None:
    holder, other = Session("s", store=store), Session("s", store=store)
    holder.set("a", 1)
    with other.lock() as lease:
        assert other.get("a") == 1  # reloaded: the lease starts at the newest version
        assert lease.version == 1
        assert lease.name == "s"
        with (
            pytest.raises(SessionLockedError, match="locked by another holder"),
            holder.lock(wait=0),
        ):
            pass
        other.set("b", 2)
    with holder.lock() as lease:
        assert lease.version == 2
        holder.set("c", 3)
    assert Session("s", store=store).get_all() == {"a": 1, "b": 2, "c": 3}


def test_the_version_fences_a_holder_whose_lease_ran_out() -> None:
    holder = Session("f", store="memory://fence")
    with holder.lock(ttl=0) as lease:  # a lease that has already run out
        overtaker = Session("f", store="memory://fence")
        with overtaker.lock():
            overtaker.set("x", "overtaker")
        assert lease.version == 0
        with pytest.raises(ConflictError):
            holder.set("x", "late holder")  # refused: it would overwrite the overtaker
    assert Session("f", store="memory://fence").get("x") == "overtaker"


async def test_async_lock() -> None:
    a = await AsyncSession.open("al", store="memory://alock")
    b = await AsyncSession.open("al", store="memory://alock")
    await a.set("k", 1)
    async with b.lock() as lease:
        assert lease.version == 1
        assert b.get("k") == 1
        with pytest.raises(SessionLockedError):
            async with a.lock(wait=0):
                pass
    async with a.lock():
        await a.set("k", 2)


def test_a_waiting_lock_is_taken_once_the_holder_lets_go(monkeypatch: pytest.MonkeyPatch) -> None:
    from powertools.session import _flows
    from powertools.session._lease import LEASE_POLL_SECONDS
    from powertools.session.backends.memory import MemoryBackend

    store = memory_store()
    holder = MemoryBackend(store.removeprefix("memory://"))
    assert holder.try_lease("w", "holder", 30)
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # the holder finishes while we wait
        slept.append(seconds)
        holder.release_lease("w", "holder")

    monkeypatch.setattr(_flows.IO, "sleep", sleep)
    waiter = Session("w", store=store)
    with waiter.lock(wait=60) as lease:
        assert not holder.try_lease("w", "holder", 30)  # now the waiter holds it
        waiter.set("a", 1)
    assert slept == [LEASE_POLL_SECONDS]
    assert lease.version == 0
    assert holder.try_lease("w", "holder", 30)  # given back on exit


async def test_an_async_waiting_lock_is_taken_once_the_holder_lets_go(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from powertools.session import _flows
    from powertools.session.backends.memory import MemoryBackend

    store = memory_store()
    holder = MemoryBackend(store.removeprefix("memory://"))
    assert holder.try_lease("w", "holder", 30)
    slept: list[float] = []

    async def asleep(seconds: float) -> None:
        slept.append(seconds)
        holder.release_lease("w", "holder")

    monkeypatch.setattr(_flows.IO, "asleep", asleep)
    waiter = await AsyncSession.open("w", store=store)
    async with waiter.lock(wait=60):
        await waiter.set("a", 1)
    assert len(slept) == 1
    assert Session("w", store=store).get("a") == 1


def test_taking_the_lock_keeps_unsaved_changes_instead_of_reloading_over_them() -> None:
    store = memory_store()
    Session("p", store=store).set("saved", 1)
    s = Session("p", store=store, auto_save=False)
    s.set("unsaved", 2)
    with s.lock() as lease:
        assert s.get_all() == {"saved": 1, "unsaved": 2}
        assert lease.version == 1
        s.save()
    assert Session("p", store=store).get_all() == {"saved": 1, "unsaved": 2}


async def test_taking_an_async_lock_keeps_unsaved_changes() -> None:
    store = memory_store()
    Session("p", store=store).set("saved", 1)
    s = await AsyncSession.open("p", store=store, auto_save=False)
    await s.set("unsaved", 2)
    async with s.lock():
        assert s.get_all() == {"saved": 1, "unsaved": 2}
        await s.save()
    assert Session("p", store=store).get_all() == {"saved": 1, "unsaved": 2}

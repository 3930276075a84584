"""Session.lock(): an exclusive lease, with the version as fencing token."""

from __future__ import annotations

import pytest

from powertools.session import AsyncSession, ConflictError, Session, SessionLockedError


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

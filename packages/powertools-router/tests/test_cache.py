"""The response cache's shared store: answers expire by the wall clock, racing writers are fine."""

from __future__ import annotations

import uuid

import pytest

from powertools.router._cache import ResponseCache

ANSWER = {"text": "Paris.", "provider": "openai", "model": "gpt-4o-mini"}


class Wall:
    """A wall clock the test moves."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def shared(wall: Wall, store: str) -> ResponseCache:
    return ResponseCache(60, store=store, wall=wall)


def a_store() -> str:
    return f"memory://router-cache-test-{uuid.uuid4().hex[:8]}"


async def test_a_shared_answer_is_served_until_its_ttl_passes_on_the_wall_clock() -> None:
    wall, store = Wall(), a_store()
    await shared(wall, store).aput_stored("k", ANSWER)
    reader = shared(wall, store)
    assert await reader.aget_stored("k") == {**ANSWER, "expires_at": wall.now + 60}
    wall.now += 60
    assert await reader.aget_stored("k") is None
    assert await reader.aget_stored("never-stored") is None


async def test_a_writer_that_lost_the_race_keeps_the_first_answer_and_raises_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wall, store = Wall(), a_store()
    first, late = shared(wall, store), shared(wall, store)

    async def read_before_the_first_wrote(name: str, recover: bool = False) -> None:
        return None

    monkeypatch.setattr(late._store, "aload", read_before_the_first_wrote)
    await first.aput_stored("k", ANSWER)
    await late.aput_stored("k", {**ANSWER, "text": "Paris, France."})
    assert (await first.aget_stored("k"))["text"] == "Paris."


async def test_a_store_that_fails_to_write_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = shared(Wall(), a_store())

    async def down(*args: object) -> None:
        raise ConnectionError("the store went away")

    monkeypatch.setattr(cache._store, "areplace", down)
    with pytest.raises(ConnectionError, match="the store went away"):
        await cache.aput_stored("k", ANSWER)

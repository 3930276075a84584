"""The helpers users get for their own tests."""

from __future__ import annotations

from powertools.session import Session
from powertools.session.testing import FakeClock, memory_store, reset_memory_stores


def test_memory_stores_are_isolated_and_resettable() -> None:
    first, second = memory_store(), memory_store()
    assert first != second
    Session("s", store=first).set("a", 1)
    assert Session("s", store=second).get_all() == {}
    reset_memory_stores()
    assert Session("s", store=first).get_all() == {}


def test_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(10.0)
    assert clock() == 10.0
    clock.advance(5)
    assert clock() == 15.0

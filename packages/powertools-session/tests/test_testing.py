"""The helpers users get for their own tests."""

from __future__ import annotations

import pytest

from powertools.session import Session
from powertools.session.testing import FakeClock, memory_store, reset_memory_stores
from powertools_testkit import check_fake_clock


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


def test_fake_clock_has_the_shape_every_package_shares() -> None:
    check_fake_clock(FakeClock)
    assert FakeClock().now == 0.0


def test_fake_clock_refuses_to_go_back() -> None:
    clock = FakeClock(start=3.0)
    with pytest.raises(ValueError, match="never goes back"):
        clock.advance(-1)
    assert clock.now == 3.0

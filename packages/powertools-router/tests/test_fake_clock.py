"""The testing module's FakeClock has the one shape every powertools package shares."""

from __future__ import annotations

import asyncio

import pytest

from powertools.router.testing import FakeClock
from powertools_testkit import check_fake_clock


def test_fake_clock_has_the_shared_shape() -> None:
    check_fake_clock(FakeClock)


def test_a_clock_never_goes_back_and_records_its_sleeps() -> None:
    clock = FakeClock(start=5.0)
    with pytest.raises(ValueError, match="never goes back"):
        clock.advance(-0.5)
    clock.sleep(2.0)
    asyncio.run(clock.asleep(3.0))
    assert (clock.now, clock.sleeps) == (10.0, [2.0, 3.0])

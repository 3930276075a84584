"""The public testing helpers: the FakeClock shape every package shares."""

from __future__ import annotations

import asyncio

import pytest

from powertools.cost import CostTracker, Usage
from powertools.cost.testing import FakeClock
from powertools_testkit import check_fake_clock


def test_the_fake_clock_has_the_shared_shape() -> None:
    check_fake_clock(FakeClock)


def test_a_negative_advance_or_sleep_is_refused_and_moves_nothing() -> None:
    clock = FakeClock(start=10.0)
    for step in (clock.advance, clock.sleep):
        with pytest.raises(ValueError, match="only moves forward"):
            step(-0.5)
    assert clock.now == 10.0


def test_a_tracker_reads_the_fake_clock_through_asleep() -> None:
    clock = FakeClock()
    tracker = CostTracker(budget_usd=1, budget_window="daily", clock=clock)

    async def a_day_of_calls() -> None:
        for _ in range(2):
            async with tracker.track_call("t", "gpt-4o-mini") as span:
                span.record(Usage(input=1000))
            await clock.asleep(86_400.0)  # the next call lands in the next daily window

    asyncio.run(a_day_of_calls())
    assert clock.monotonic() == 2 * 86_400.0
    assert [s.window for s in tracker.budgets.status()] == ["global:1970-01-03"]

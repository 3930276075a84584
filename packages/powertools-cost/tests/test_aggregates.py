"""Per-day totals: tasks and calls per day, spans across midnight, retention, window sums."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from powertools.cost import CostTracker, Ledger, Usage
from powertools.cost.testing import FakeClock

DOLLAR = Usage(output=100_000)  # gpt-4o: $10 per million output tokens


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def test_a_span_of_two_calls_is_one_task_of_two_calls() -> None:
    tracker = CostTracker(clock=FakeClock(at("2026-11-25T12:00:00")))
    with tracker.track_call("agent", model="gpt-4o") as span:
        span.record(DOLLAR)
        span.record(Usage(input=400_000))  # $1 more at $2.50 per million input tokens
    assert span.cost == Decimal(2)
    report = tracker.get_daily_report()
    assert (report.total, report.task_count, report.call_count) == (Decimal(2), 1, 2)
    assert report.tokens == 500_000
    assert [r.id for r in tracker.records] == [span.id, f"{span.id}.1"]


def test_a_span_across_midnight_is_a_task_on_each_day_it_touched() -> None:
    clock = FakeClock(at("2026-11-25T23:59:00"))
    tracker = CostTracker(clock=clock)
    with tracker.track_call("overnight", model="gpt-4o") as span:
        span.record(DOLLAR)
        clock.advance(120)
        span.record(DOLLAR)
        span.record(DOLLAR)
    first = tracker.get_daily_report(date(2026, 11, 25))
    second = tracker.get_daily_report(date(2026, 11, 26))
    assert (first.total, first.task_count, first.call_count) == (Decimal(1), 1, 1)
    assert (second.total, second.task_count, second.call_count) == (Decimal(2), 1, 2)
    assert tracker.get_total() == Decimal(3)


def test_days_past_retain_days_leave_the_reports_but_not_the_total() -> None:
    clock = FakeClock(at("2026-11-01T12:00:00"))
    tracker = CostTracker(clock=clock, retain_days=2)
    for _ in range(4):
        with tracker.track_call("daily", model="gpt-4o") as span:
            span.record(DOLLAR)
        clock.advance(86_400)
    assert tracker.get_daily_report(date(2026, 11, 1)).total == 0  # dropped on November 4
    assert tracker.get_daily_report(date(2026, 11, 2)).total == Decimal(1)
    assert tracker.get_daily_report(date(2026, 11, 4)).total == Decimal(1)
    assert tracker.get_total() == Decimal(4)


@pytest.mark.parametrize("bad", [-1, 1.5, True, "100"])
def test_retain_records_must_be_a_count(bad: object) -> None:
    with pytest.raises(ValueError, match=r"retain_records must be a count >= 0 or None, not"):
        CostTracker(retain_records=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [0, -3, 2.0, "30"])
def test_retain_days_must_be_a_positive_int(bad: object) -> None:
    with pytest.raises(ValueError, match=r"retain_days must be a positive int, not"):
        CostTracker(retain_days=bad)  # type: ignore[arg-type]


async def test_on_an_async_ledger_the_remaining_budget_sums_the_windows_days(
    async_only_ledger: Ledger,
) -> None:
    clock = FakeClock(at("2026-10-31T23:00:00"))
    monthly = CostTracker(budget_usd=10, ledger=async_only_ledger, clock=clock)
    for hours in (0, 2, 48):  # October, then November twice
        clock.advance(hours * 3600)
        async with monthly.track_call("t", model="gpt-4o") as span:
            span.record(DOLLAR)
    assert monthly.get_daily_report().remaining == Decimal(8)  # October's dollar is not counted


async def test_on_an_async_ledger_a_total_budget_counts_every_day(
    async_only_ledger: Ledger,
) -> None:
    clock = FakeClock(at("2026-10-31T23:00:00"))
    total = CostTracker(budget_usd=10, budget_window="total", ledger=async_only_ledger, clock=clock)
    for _ in range(3):
        async with total.track_call("t", model="gpt-4o") as span:
            span.record(DOLLAR)
        clock.advance(40 * 86_400)
    assert total.get_daily_report().remaining == Decimal(7)
    assert (await total.aget_daily_report()).remaining == Decimal(7)  # the ledger agrees

"""Analytics over the kept records: calls without usage or model, and a trend of one day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from powertools.cost import CostTracker, Usage
from powertools.cost.testing import FakeClock

NOON = datetime(2026, 11, 25, 12, tzinfo=UTC).timestamp()


def test_calls_without_usage_count_in_totals_but_not_in_cost_per_1k_tokens() -> None:
    tracker = CostTracker(clock=FakeClock(NOON))
    with tracker.track_call("t", model="gpt-4o") as span:
        span.record(Usage(input=1000))  # $0.0025
    with tracker.track_call("idle", model="gpt-4o"):
        pass  # unmetered: no usage, no tokens
    analytics = tracker.analytics()
    assert analytics.cost_per_1k_tokens() == {"gpt-4o": Decimal("0.0025")}
    assert analytics.cost_per_task() == {"idle": 0, "t": Decimal("0.0025")}
    assert analytics.cache_savings() == 0


def test_the_trend_of_a_single_day_is_flat() -> None:
    clock = FakeClock(NOON)
    tracker = CostTracker(clock=clock)
    assert tracker.analytics().trend() == 0  # no day at all
    for _ in range(3):
        with tracker.track_call("t", model="gpt-4o") as span:
            span.record(Usage(output=100_000))
        clock.advance(3600)
    assert tracker.analytics().daily_totals() == {date(2026, 11, 25): 3}
    assert tracker.analytics().trend() == 0

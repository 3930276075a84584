"""Per-model statistics: nearest-rank percentiles and estimates that move only with evidence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from powertools.router._stats import ModelStats, percentile

SECONDS = st.floats(0.0, 600.0, allow_nan=False)


@given(st.lists(SECONDS, min_size=1, max_size=200), st.floats(0.0, 100.0))
def test_a_percentile_is_a_value_with_at_least_that_share_at_or_below_it(values, p) -> None:
    found = percentile(values, p)
    assert found in values
    at_or_below = sum(v <= found for v in values)
    assert at_or_below >= p / 100 * len(values) - 1e-9
    assert percentile(values, 0) == min(values)
    assert percentile(values, 100) == max(values)


def test_an_answer_without_ttft_or_speed_leaves_the_estimates_as_they_were() -> None:
    stats = ModelStats()
    stats.record_ok(latency=1.0, ttft=0.2, tokens_per_second=50.0, cost_fd=0)
    stats.record_ok(latency=3.0, ttft=None, tokens_per_second=None, cost_fd=0)
    stats.record_ok(latency=2.0, ttft=None, tokens_per_second=0.0, cost_fd=0)
    assert (stats.ttft_estimate, stats.speed_estimate) == (0.2, 50.0)
    summary = stats.summary()
    assert (summary["calls"], summary["ok"]) == (3, 3)
    assert summary["p50_latency_ms"] == 2000.0
    assert summary["p50_ttft_ms"] == 200.0


def test_estimates_follow_recent_observations_by_a_fifth_each() -> None:
    stats = ModelStats()
    stats.record_ok(latency=1.0, ttft=1.0, tokens_per_second=100.0, cost_fd=0)
    stats.record_ok(latency=1.0, ttft=2.0, tokens_per_second=50.0, cost_fd=0)
    assert stats.ttft_estimate == pytest.approx(1.2)
    assert stats.speed_estimate == pytest.approx(90.0)

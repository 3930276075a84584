from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from powertools.logging import Metrics
from powertools.logging._metrics import Histogram, percentile

values = st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=1, max_size=300)


@given(values)
def test_histogram_is_exact_below_the_reservoir_size(observed: list[float]) -> None:
    h = Histogram(reservoir=1024)
    for v in observed:
        h.observe(v)
    s = h.summary()
    ordered = sorted(observed)
    assert s["count"] == len(observed)
    assert s["min"] == ordered[0]
    assert s["max"] == ordered[-1]
    assert s["p50"] == percentile(ordered, 50)
    assert s["min"] <= s["p50"] <= s["p90"] <= s["p99"] <= s["max"]


@given(values, st.integers(1, 16), st.integers(0, 2**32))
def test_reservoir_stays_bounded_and_within_range(
    observed: list[float], size: int, seed: int
) -> None:
    h = Histogram(reservoir=size, rng=random.Random(seed).random)
    for v in observed:
        h.observe(v)
    assert len(h.sample) == min(size, len(observed))
    assert set(h.sample) <= set(observed)
    s = h.summary()
    assert s["min"] <= s["p50"] <= s["p99"] <= s["max"]
    assert abs(s["sum"] - sum(observed)) <= 1e-6 * max(1.0, sum(abs(v) for v in observed))


def test_collect_resets_counters_and_histograms_but_keeps_gauges() -> None:
    ticks = iter([0.0, 2.0, 4.0])
    m = Metrics(clock=lambda: next(ticks))
    m.counter("calls", {"model": "gpt-4"}).inc(4)
    m.gauge("queue_depth").set(7)
    m.histogram("latency").observe(1.0)
    first = {s["metric"]: s for s in m.collect(process=False)}
    assert first["calls"]["rate_per_s"] == 2.0
    assert first["calls"]["tags"] == {"model": "gpt-4"}
    assert first["latency"]["count"] == 1
    second = {s["metric"]: s for s in m.collect(process=False)}
    assert set(second) == {"queue_depth"}
    assert second["queue_depth"]["value"] == 7
    assert Histogram().summary() == {}

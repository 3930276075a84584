"""In-process metrics: counters, gauges and histograms, flushed as events (optionally as
CloudWatch Embedded Metric Format documents).

A histogram keeps exact count, sum, min and max, and estimates percentiles from a uniform
reservoir sample (Vitter's algorithm R) of at most ``reservoir`` values, so memory stays bounded
however many values are observed between flushes.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Counter", "Gauge", "Histogram", "Metrics", "emf_document", "percentile"]

Tags = tuple[tuple[str, str], ...]


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0-100) of an ascending, non-empty list.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50)
    2.0
    """
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(slots=True)
class Counter:
    """A count that only goes up (reset on each flush: flushed values are per interval)."""

    value: float = 0.0

    def inc(self, amount: float = 1.0) -> None:
        """Add ``amount`` (default 1)."""
        self.value += amount


@dataclass(slots=True)
class Gauge:
    """The last value set."""

    value: float = 0.0

    def set(self, value: float) -> None:
        """Record the current value."""
        self.value = value


@dataclass(slots=True)
class Histogram:
    """A distribution of observed values."""

    reservoir: int = 1024
    rng: Callable[[], float] = random.random
    count: int = 0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf
    sample: list[float] = field(default_factory=list)

    def observe(self, value: float) -> None:
        """Add one value."""
        self.count += 1
        self.total += value
        self.low = min(self.low, value)
        self.high = max(self.high, value)
        if len(self.sample) < self.reservoir:
            self.sample.append(value)
        else:
            slot = int(self.rng() * self.count)
            if slot < self.reservoir:
                self.sample[slot] = value

    def summary(self) -> dict[str, float]:
        """count, sum, min, max, mean, p50, p90, p99 (empty dict if nothing was observed)."""
        if not self.count:
            return {}
        ordered = sorted(self.sample)
        return {
            "count": self.count,
            "sum": self.total,
            "min": self.low,
            "max": self.high,
            "mean": self.total / self.count,
            "p50": percentile(ordered, 50),
            "p90": percentile(ordered, 90),
            "p99": percentile(ordered, 99),
        }


def _tags(tags: Mapping[str, Any] | None) -> Tags:
    return tuple(sorted((str(k), str(v)) for k, v in (tags or {}).items()))


def _process_usage() -> dict[str, float]:
    usage: dict[str, float] = {"process.cpu_seconds": time.process_time()}
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows has no resource module
        return usage
    usage["process.max_rss_kb"] = float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return usage


class Metrics:
    """A registry of named, tagged metrics; :meth:`collect` returns and resets an interval.

    >>> m = Metrics(clock=iter([0.0, 10.0]).__next__)
    >>> m.counter("calls").inc(5)
    >>> (summary,) = m.collect(process=False)
    >>> summary.get("rate_per_s")
    0.5
    """

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        reservoir: int = 1024,
    ) -> None:
        self._clock, self._rng, self._reservoir = clock, rng, reservoir
        self._lock = threading.Lock()
        self._counters: dict[tuple[str, Tags], Counter] = {}
        self._gauges: dict[tuple[str, Tags], Gauge] = {}
        self._histograms: dict[tuple[str, Tags], Histogram] = {}
        self._since = clock()

    def counter(self, name: str, tags: Mapping[str, Any] | None = None) -> Counter:
        """The counter ``name`` with these tags (created on first use)."""
        with self._lock:
            return self._counters.setdefault((name, _tags(tags)), Counter())

    def gauge(self, name: str, tags: Mapping[str, Any] | None = None) -> Gauge:
        """The gauge ``name`` with these tags (created on first use)."""
        with self._lock:
            return self._gauges.setdefault((name, _tags(tags)), Gauge())

    def histogram(self, name: str, tags: Mapping[str, Any] | None = None) -> Histogram:
        """The histogram ``name`` with these tags (created on first use)."""
        key = (name, _tags(tags))
        with self._lock:
            found = self._histograms.get(key)
            if found is None:
                found = self._histograms[key] = Histogram(self._reservoir, self._rng)
            return found

    def collect(self, *, process: bool = True) -> list[dict[str, Any]]:
        """One summary per metric for the interval since the last call, then reset it.

        Counters carry ``rate_per_s`` (throughput); each ``<op>.calls`` counter gets an
        ``<op>.error_rate`` gauge; ``process`` adds CPU and memory gauges.
        """
        now = self._clock()
        with self._lock:
            elapsed = max(now - self._since, 1e-9)
            self._since = now
            counters, self._counters = self._counters, {}
            histograms, self._histograms = self._histograms, {}
            gauges = dict(self._gauges)
        out = [
            {
                "metric": n,
                "kind": "counter",
                "tags": dict(t),
                "value": c.value,
                "rate_per_s": c.value / elapsed,
            }
            for (n, t), c in counters.items()
        ]
        out += _error_rates(counters)
        out += [
            {"metric": n, "kind": "gauge", "tags": dict(t), "value": g.value}
            for (n, t), g in gauges.items()
        ]
        out += [
            {"metric": n, "kind": "histogram", "tags": dict(t), **h.summary()}
            for (n, t), h in histograms.items()
            if h.count
        ]
        if process:
            out += [
                {"metric": n, "kind": "gauge", "tags": {}, "value": v}
                for n, v in _process_usage().items()
            ]
        return out


def _error_rates(counters: Mapping[tuple[str, Tags], Counter]) -> list[dict[str, Any]]:
    """``<op>.error_rate`` for every ``<op>.calls`` counter (errors / calls in the interval)."""
    rates = []
    for (name, tags), calls in counters.items():
        if name.endswith(".calls") and calls.value:
            op = name.removesuffix(".calls")
            errors = counters.get((f"{op}.errors", tags), Counter()).value
            rate = errors / calls.value
            rates.append(
                {"metric": f"{op}.error_rate", "kind": "gauge", "tags": dict(tags), "value": rate}
            )
    return rates


def emf_document(
    name: str, value: float, tags: Mapping[str, Any], *, unit: str, namespace: str, ts: float
) -> dict[str, Any]:
    """The CloudWatch Embedded Metric Format members for one value.

    >>> emf_document("latency", 1.5, {"model": "gpt-4"}, unit="Milliseconds",
    ...              namespace="app", ts=1.0)["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
    [['model']]
    """
    return {
        "_aws": {
            "Timestamp": int(ts * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [sorted(str(k) for k in tags)],
                    "Metrics": [{"Name": name, "Unit": unit}],
                }
            ],
        },
        name: value,
        **{str(k): str(v) for k, v in tags.items()},
    }

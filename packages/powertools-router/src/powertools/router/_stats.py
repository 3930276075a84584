"""Per-model counters and online latency estimates: ``router.stats()`` and the engine's inputs.

The time to first token and the generation speed of each model are exponentially weighted
moving averages (weight 0.2 per observation), so the engine's latency prediction follows the
model's recent behaviour; the prior from the catalogue stands until the first observation.

>>> s = ModelStats()
>>> s.record_ok(latency=1.0, ttft=0.2, tokens_per_second=50.0, cost_fd=0)
>>> s.summary()["calls"], s.ttft_estimate
(1, 0.2)
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from powertools.cost import usd

__all__ = ["ModelStats", "percentile"]

_WINDOW = 512
_EWMA = 0.2


def percentile(values: list[float], p: float) -> float | None:
    """The ``p``-th percentile (nearest rank) of ``values``.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50), percentile([], 95)
    (2.0, None)
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(-(-p * len(ordered) // 100)) - 1))
    return ordered[rank]


@dataclass(slots=True)
class ModelStats:
    """Counters and recent latencies of one (provider, model)."""

    calls: int = 0
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=_WINDOW))
    ttfts: deque[float] = field(default_factory=lambda: deque(maxlen=_WINDOW))
    cost_fd: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    ttft_estimate: float | None = None
    speed_estimate: float | None = None

    def record_ok(
        self,
        *,
        latency: float,
        ttft: float | None,
        tokens_per_second: float | None,
        cost_fd: int,
        input_tokens: int = 0,
        output_tokens: int = 0,
    ) -> None:
        """One answered call."""
        self.calls += 1
        self.ok += 1
        self.latencies.append(latency)
        self.cost_fd += cost_fd
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        if ttft is not None:
            self.ttfts.append(ttft)
            self.ttft_estimate = _ewma(self.ttft_estimate, ttft)
        if tokens_per_second:
            self.speed_estimate = _ewma(self.speed_estimate, tokens_per_second)

    def record_error(self, category: str, latency: float) -> None:
        """One failed call."""
        self.calls += 1
        self.errors[category] += 1
        self.latencies.append(latency)

    def p95_latency(self) -> float | None:
        """The 95th percentile of recent latencies, in seconds."""
        return percentile(list(self.latencies), 95)

    def summary(self) -> dict[str, Any]:
        """The numbers ``router.stats()`` shows (latencies in milliseconds)."""
        lat, ttft = list(self.latencies), list(self.ttfts)
        return {
            "calls": self.calls,
            "ok": self.ok,
            "errors": dict(sorted(self.errors.items())),
            "p50_latency_ms": _ms(percentile(lat, 50)),
            "p95_latency_ms": _ms(percentile(lat, 95)),
            "p50_ttft_ms": _ms(percentile(ttft, 50)),
            "cost_usd": usd(self.cost_fd),
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
        }


def _ewma(old: float | None, new: float) -> float:
    return new if old is None else old + _EWMA * (new - old)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000.0, 1)

"""Learning limits from responses: the provider's own numbers, and AIMD on 429s.

On a 429 the rate is halved (multiplicative decrease, down to 1/64) and the limiter admits
nothing until ``retry-after``; the rate then climbs back linearly over time (additive increase,
``recovery_per_second`` of the full rate each second), so it recovers without any traffic.
Limits read from headers replace the configured per-minute limit of their dimension when they
are lower, and are added when none was configured.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from powertools.ratelimit._headers import HeaderReading, parse_rate_limit_headers
from powertools.ratelimit._limits import Limit

__all__ = ["Aimd", "merge_learnt"]

MIN_SCALE = 1 / 64


@dataclass(slots=True)
class Aimd:
    """Additive-increase, multiplicative-decrease scale of the configured rates.

    >>> now = [0.0]
    >>> aimd = Aimd(clock=lambda: now[0], recovery_per_second=0.1)
    >>> aimd.decrease(); aimd.scale()
    0.5
    >>> now[0] = 2.0; round(aimd.scale(), 3)
    0.7
    """

    clock: Callable[[], float] = time.monotonic
    recovery_per_second: float = 0.05
    decrease_factor: float = 0.5
    _base: float = 1.0
    _since: float = 0.0

    def scale(self) -> float:
        """The current fraction of the configured rate, recovering with time."""
        if self._base >= 1.0:
            return 1.0
        grown = self._base + self.recovery_per_second * (self.clock() - self._since)
        return min(grown, 1.0)

    def decrease(self) -> None:
        """Halve the rate (a 429 said it was too high)."""
        self._base = max(self.scale() * self.decrease_factor, MIN_SCALE)
        self._since = self.clock()


def merge_learnt(configured: Sequence[Limit], learnt: Mapping[str, float]) -> tuple[Limit, ...]:
    """Configured limits with each dimension's per-minute limit lowered to the provider's.

    >>> [(x.name, x.limit) for x in merge_learnt([Limit("requests", 600, 60.0)], {"requests": 500})]
    [('requests_per_minute', 500)]
    """
    merged = list(configured)
    for dimension, value in learnt.items():
        for i, lim in enumerate(merged):
            if lim.dimension == dimension and lim.period == 60.0:
                if value < lim.limit:
                    merged[i] = Limit(dimension, value, 60.0, min(lim.burst, value))
                break
        else:
            merged.append(Limit(dimension, value, 60.0))
    return tuple(merged)


def reading_of(headers: Mapping[str, str], wall_clock: Callable[[], float]) -> HeaderReading:
    """Parse ``headers`` against the wall clock (Anthropic's resets are timestamps)."""
    return parse_rate_limit_headers(headers, wall_clock())

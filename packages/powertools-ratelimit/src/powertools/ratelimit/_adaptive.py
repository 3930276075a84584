"""Learning limits from responses: the provider's own numbers, and AIMD on 429s.

On a 429 the rate is halved (multiplicative decrease, down to 1/64) and the limiter admits
nothing until ``retry-after``; the rate then climbs back linearly over time (additive increase,
``recovery_per_second`` of the full rate each second), so it recovers without any traffic:
the limiter looks at the clock whenever it waits, and at least once a second while callers are
queued.

A limit read from headers replaces the configured per-minute limit of its dimension — higher
or lower, since your account's real limits are what the provider says — and is added when
none was configured. A value far from the configured (or published) limit cannot be right:
below a hundredth of it, or above the ceiling (by default a thousand times it, or the
``learn_ceiling`` given), it is ignored and logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from powertools.ratelimit._headers import HeaderReading, parse_rate_limit_headers
from powertools.ratelimit._limits import Limit

__all__ = ["Aimd", "Learnt", "merge_learnt"]

log = logging.getLogger("powertools.ratelimit")

MIN_SCALE = 1 / 64
#: A learnt limit below this fraction of the configured one is not believed.
FLOOR_FACTOR = 0.01
#: By default a learnt limit may be up to this many times the configured one.
CEILING_FACTOR = 1000.0


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


def _per_minute(limits: Sequence[Limit], dimension: str) -> Limit | None:
    return next((x for x in limits if x.dimension == dimension and x.period == 60.0), None)


@dataclass(slots=True)
class Learnt:
    """Per-minute limits learnt from headers, each believed only within its plausible range.

    >>> learnt = Learnt((Limit("tokens", 30_000, 60.0),))
    >>> learnt.offer("tokens", 30_000_000), learnt.offer("tokens", 100)
    (True, False)
    >>> learnt.values
    {'tokens': 30000000}
    """

    configured: tuple[Limit, ...]
    ceiling: Mapping[str, float] | float = CEILING_FACTOR
    values: dict[str, float] = field(default_factory=dict)
    _logged: set[tuple[str, float]] = field(default_factory=set)

    def offer(self, dimension: str, value: float) -> bool:
        """Keep ``value`` as ``dimension``'s per-minute limit if plausible; log it if not."""
        base = _per_minute(self.configured, dimension)
        if base is not None:
            low, high = base.limit * FLOOR_FACTOR, self._ceiling_of(base)
            if not low <= value <= high:
                self._warn(dimension, value, low, high)
                return False
        self.values[dimension] = value
        return True

    def _ceiling_of(self, base: Limit) -> float:
        if isinstance(self.ceiling, Mapping):
            return self.ceiling.get(base.name, base.limit * CEILING_FACTOR)
        return base.limit * self.ceiling

    def _warn(self, dimension: str, value: float, low: float, high: float) -> None:
        if (dimension, value) in self._logged:
            return
        if len(self._logged) < 1024:
            self._logged.add((dimension, value))
        log.warning(
            "ignored a %s limit of %g per minute from the provider's headers: outside the "
            "plausible %g-%g around the configured limit (raise learn_ceiling if it is real)",
            dimension,
            value,
            low,
            high,
        )


def merge_learnt(configured: Sequence[Limit], learnt: Mapping[str, float]) -> tuple[Limit, ...]:
    """Configured limits with each dimension's per-minute limit set to the provider's.

    >>> [(x.name, x.limit) for x in merge_learnt([Limit("requests", 600, 60.0)], {"requests": 500})]
    [('requests_per_minute', 500)]
    >>> [x.limit for x in merge_learnt([Limit("requests", 500, 60.0)], {"requests": 10_000})]
    [10000]
    """
    merged = list(configured)
    for dimension, value in learnt.items():
        for i, lim in enumerate(merged):
            if lim.dimension == dimension and lim.period == 60.0:
                merged[i] = Limit(dimension, value, 60.0, min(lim.burst, value))
                break
        else:
            merged.append(Limit(dimension, value, 60.0))
    return tuple(merged)


def reading_of(headers: Mapping[str, str], wall_clock: Callable[[], float]) -> HeaderReading:
    """Parse ``headers`` against the wall clock (Anthropic's resets are timestamps)."""
    return parse_rate_limit_headers(headers, wall_clock())

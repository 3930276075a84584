"""What a limit is: a dimension, an amount per period and a burst; and what a request costs.

Every limit is enforced as a GCRA cell (``_gcra.py``): the long-run rate is ``limit / period``
and at most ``burst`` units pass at once. The default burst is one unit, which makes a requests
limit exact over any window: ``requests_per_minute=1000`` never admits more than 1,000 requests
in any minute. A larger burst admits up to ``burst + limit * window / period`` in a window.
Limits over a day or longer are quotas: their default burst is the whole limit, so a daily
quota can be spent at any time of the day (and refills continuously).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from powertools.ratelimit.errors import ConfigurationError, RequestTooLargeError

__all__ = ["DIMENSIONS", "PERIODS", "Cost", "Limit", "limits_from_kwargs"]

#: The dimensions a request is charged in, in the order of ``Cost``'s fields.
DIMENSIONS = ("requests", "tokens", "input_tokens", "output_tokens")

#: Period names accepted in ``<dimension>_per_<period>`` and their length in seconds.
PERIODS: Mapping[str, float] = {
    "second": 1.0,
    "minute": 60.0,
    "hour": 3600.0,
    "day": 86400.0,
    "month": 30 * 86400.0,
}


@dataclass(slots=True, frozen=True)
class Limit:
    """``limit`` units of ``dimension`` per ``period`` seconds, with at most ``burst`` at once.

    >>> Limit("tokens", 90_000, 60).interval
    0.0006666666666666666
    """

    dimension: str
    limit: float
    period: float
    burst: float = 1.0

    def __post_init__(self) -> None:
        if self.dimension not in DIMENSIONS:
            raise ConfigurationError(
                f"unknown dimension {self.dimension!r}: use one of {', '.join(DIMENSIONS)}"
            )
        for name in ("limit", "period", "burst"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ConfigurationError(
                    f"{self.dimension} limit: {name}={value!r} must be a positive finite number"
                )

    @property
    def interval(self) -> float:
        """Seconds one unit occupies: the GCRA emission interval."""
        return self.period / self.limit

    @property
    def name(self) -> str:
        """The keyword this limit is written as, e.g. ``tokens_per_minute``."""
        for period_name, seconds in PERIODS.items():
            if seconds == self.period:
                return f"{self.dimension}_per_{period_name}"
        return f"{self.dimension}_per_{self.period:g}s"

    def check_fits(self, amount: float) -> None:
        """Raise ``RequestTooLargeError`` if ``amount`` exceeds what one period can ever grant."""
        if amount > self.limit:
            raise RequestTooLargeError(
                f"a request of {amount:g} {self.dimension} can never fit {self.name}="
                f"{self.limit:g}: split the request or raise the limit"
            )


class Cost(NamedTuple):
    """What one call is charged: requests, tokens, input tokens and output tokens.

    A tuple in ``DIMENSIONS`` order, so the hot path indexes it directly.

    >>> Cost.of(tokens=1200, output_tokens=200)
    Cost(requests=1.0, tokens=1200.0, input_tokens=1000.0, output_tokens=200.0)
    """

    requests: float = 1.0
    tokens: float = 0.0
    input_tokens: float = 0.0
    output_tokens: float = 0.0

    @classmethod
    def of(
        cls,
        *,
        tokens: float | None = None,
        input_tokens: float | None = None,
        output_tokens: float | None = None,
        requests: float = 1.0,
    ) -> Cost:
        """A cost where missing token counts are derived from the ones given.

        ``tokens`` defaults to input plus output; input tokens default to the tokens not
        known to be output, so an estimate given only as ``tokens`` is charged to input limits.
        """
        if input_tokens is None and output_tokens is None and requests == 1.0:
            amount = 0.0 if tokens is None else float(tokens)
            if 0.0 <= amount < math.inf:
                return cls(1.0, amount, amount, 0.0)
        out = float(output_tokens or 0)
        if tokens is None:
            tokens = float(input_tokens or 0) + out
        inp = float(input_tokens) if input_tokens is not None else max(float(tokens) - out, 0.0)
        values = (requests, tokens, inp, out)
        if not all(math.isfinite(v) and v >= 0 for v in values):
            raise ConfigurationError(
                f"request costs must be finite and not negative, got requests={requests!r}, "
                f"tokens={tokens!r}, input_tokens={input_tokens!r}, output_tokens={output_tokens!r}"
            )
        return cls(float(requests), float(tokens), inp, out)

    def as_tuple(self) -> tuple[float, float, float, float]:
        """The amounts in ``DIMENSIONS`` order."""
        return (self.requests, self.tokens, self.input_tokens, self.output_tokens)


def _parse_keyword(keyword: str) -> tuple[str, float]:
    dimension, sep, period = keyword.rpartition("_per_")
    if not sep or dimension not in DIMENSIONS or period not in PERIODS:
        raise ConfigurationError(
            f"unknown limit {keyword!r}: write <dimension>_per_<period> with a dimension in "
            f"{', '.join(DIMENSIONS)} and a period in {', '.join(PERIODS)}"
        )
    return dimension, PERIODS[period]


def limits_from_kwargs(
    values: Mapping[str, float | None], bursts: Mapping[str, float] | None = None
) -> tuple[Limit, ...]:
    """Limits from keywords such as ``requests_per_minute=60``; ``None`` values are skipped.

    >>> limits = limits_from_kwargs({"requests_per_minute": 60, "tokens_per_day": None})
    >>> [lim.name for lim in limits]
    ['requests_per_minute']
    """
    bursts = bursts or {}
    unknown = set(bursts) - set(values)
    if unknown:
        raise ConfigurationError(f"burst given for limits that are not set: {sorted(unknown)}")
    limits = []
    for keyword, value in values.items():
        if value is None:
            continue
        dimension, period = _parse_keyword(keyword)
        default_burst = value if period >= PERIODS["day"] else 1.0
        limits.append(Limit(dimension, value, period, bursts.get(keyword, default_burst)))
    return tuple(limits)

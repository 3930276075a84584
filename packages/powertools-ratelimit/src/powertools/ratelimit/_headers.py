"""Reading providers' rate-limit headers: OpenAI, Anthropic and ``retry-after``.

OpenAI sends ``x-ratelimit-{limit,remaining,reset}-{requests,tokens}`` with resets as Go-style
durations (``6m0s``, ``1.5s``, ``12ms``). Anthropic sends
``anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}``
with resets as RFC 3339 timestamps. Values that cannot be right (negative, not finite, a
remaining above its limit, a reset further than a day away) are ignored, never trusted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["HeaderReading", "parse_duration", "parse_rate_limit_headers", "parse_retry_after"]

MAX_RESET_SECONDS = 86400.0
MAX_LIMIT = 1e12
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
_DIMENSIONS = {
    "requests": "requests",
    "tokens": "tokens",
    "input-tokens": "input_tokens",
    "output-tokens": "output_tokens",
}


@dataclass(slots=True, frozen=True)
class DimensionReading:
    """What one response said about one dimension; ``None`` where it said nothing usable."""

    limit: float | None = None
    remaining: float | None = None
    reset_seconds: float | None = None


@dataclass(slots=True, frozen=True)
class HeaderReading:
    """Everything usable in one response's headers."""

    dimensions: Mapping[str, DimensionReading] = field(default_factory=dict)
    retry_after: float | None = None


def parse_duration(text: str) -> float | None:
    """Seconds in a Go-style duration such as ``6m0s`` or ``12ms``; None if it is not one.

    >>> parse_duration("6m0s"), parse_duration("12ms"), parse_duration("1h2m3.5s")
    (360.0, 0.012, 3723.5)
    >>> parse_duration("soon") is None
    True
    """
    text = text.strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def _parse_timestamp(text: str, now: float) -> float | None:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp() - now


def parse_retry_after(text: str, now: float) -> float | None:
    """Seconds from ``retry-after`` (seconds or an HTTP date), given wall-clock ``now``.

    >>> parse_retry_after("2.5", 0.0), parse_retry_after("-5", 0.0)
    (2.5, None)
    """
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        from email.utils import parsedate_to_datetime  # an HTTP date: rare, and email is heavy

        try:
            seconds = parsedate_to_datetime(text).timestamp() - now
        except (TypeError, ValueError, IndexError):
            return None
    return _plausible_reset(seconds)


def _plausible_reset(seconds: float | None) -> float | None:
    if seconds is None or not math.isfinite(seconds):
        return None
    if -1.0 <= seconds < 0:  # a reset just passed: clocks differ by a little
        return 0.0
    return seconds if 0 <= seconds <= MAX_RESET_SECONDS else None


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if math.isfinite(value) and 0 <= value <= MAX_LIMIT else None


def _reading(limit: str | None, remaining: str | None, reset: float | None) -> DimensionReading:
    lim, rem = _number(limit), _number(remaining)
    if lim is not None and lim <= 0:
        lim = None
    if rem is not None and lim is not None and rem > lim:
        rem = None
    return DimensionReading(lim, rem, _plausible_reset(reset))


def _openai(headers: Mapping[str, str]) -> dict[str, DimensionReading]:
    found = {}
    for suffix in ("requests", "tokens"):
        reset_text = headers.get(f"x-ratelimit-reset-{suffix}")
        reading = _reading(
            headers.get(f"x-ratelimit-limit-{suffix}"),
            headers.get(f"x-ratelimit-remaining-{suffix}"),
            parse_duration(reset_text) if reset_text is not None else None,
        )
        if reading != DimensionReading():
            found[_DIMENSIONS[suffix]] = reading
    return found


def _anthropic(headers: Mapping[str, str], now: float) -> dict[str, DimensionReading]:
    found = {}
    for suffix, dimension in _DIMENSIONS.items():
        prefix = f"anthropic-ratelimit-{suffix}-"
        reset_text = headers.get(prefix + "reset")
        reading = _reading(
            headers.get(prefix + "limit"),
            headers.get(prefix + "remaining"),
            _parse_timestamp(reset_text, now) if reset_text is not None else None,
        )
        if reading != DimensionReading():
            found[dimension] = reading
    return found


def parse_rate_limit_headers(headers: Mapping[str, str], now: float) -> HeaderReading:
    """Read OpenAI's and Anthropic's rate-limit headers; ``now`` is wall-clock time (epoch s).

    >>> r = parse_rate_limit_headers({"x-ratelimit-limit-tokens": "90000",
    ...     "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "6m0s"}, now=0.0)
    >>> r.dimensions["tokens"]
    DimensionReading(limit=90000.0, remaining=0.0, reset_seconds=360.0)
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    dimensions = {**_openai(lowered), **_anthropic(lowered, now)}
    retry = lowered.get("retry-after")
    return HeaderReading(dimensions, parse_retry_after(retry, now) if retry is not None else None)

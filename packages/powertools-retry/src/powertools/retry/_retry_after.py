"""How long a failed response asked us to wait: ``Retry-After`` and the providers' reset headers.

>>> class Limited(Exception):
...     headers = {"Retry-After": "7"}
>>> retry_after(Limited())
7.0
>>> parse_duration("1m30.5s")
90.5
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

__all__ = ["parse_duration", "retry_after"]

# OpenAI-style durations: "6m0s", "1s", "20ms", "1h2m3.5s".
_DURATION = re.compile(
    r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?"
    r"(?:(\d+(?:\.\d+)?)ms)?$"
)
_RESET_HEADERS = (
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
    "anthropic-ratelimit-requests-reset",
    "anthropic-ratelimit-tokens-reset",
    "x-ratelimit-reset",
)
_EPOCH_THRESHOLD = 1_000_000_000.0  # larger numbers are Unix timestamps, not durations


def parse_duration(text: str) -> float | None:
    """Seconds in a duration like ``"1m30s"`` or ``"250ms"``; ``None`` if it is not one."""
    match = _DURATION.match(text.strip())
    if match is None or not any(match.groups()):
        return None
    hours, minutes, seconds, millis = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds + millis / 1000


def _headers_of(exc: BaseException) -> Mapping[str, str] | None:
    for holder in (exc, getattr(exc, "response", None)):
        headers = getattr(holder, "headers", None)
        if isinstance(headers, Mapping) or hasattr(headers, "get"):
            return headers
    return None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.title())
    return None if value is None else str(value)


def _seconds_until(value: str, now: float) -> float | None:
    """Parse a number, a duration, an HTTP date or an ISO timestamp into seconds from ``now``."""
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        return number - now if number > _EPOCH_THRESHOLD else number
    duration = parse_duration(value)
    if duration is not None:
        return duration
    return _date_seconds(value, now)


def _date_seconds(value: str, now: float) -> float | None:
    parsers: tuple[Callable[[str], datetime], ...] = (
        parsedate_to_datetime,
        datetime.fromisoformat,
    )
    for parse in parsers:
        try:
            moment = parse(value)
        except (TypeError, ValueError, IndexError):
            continue
        if moment.tzinfo is not None:
            return moment.timestamp() - now
    return None


def retry_after(exc: BaseException, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds the server asked us to wait before the next attempt, or ``None`` if it did not say.

    Reads ``exc.retry_after`` first, then the headers of ``exc`` or ``exc.response``:
    ``retry-after-ms``, ``Retry-After`` (seconds or HTTP date) and the OpenAI/Anthropic reset
    headers (the longest of them wins). Never negative.
    """
    explicit = getattr(exc, "retry_after", None)
    if isinstance(explicit, int | float) and not isinstance(explicit, bool):
        return max(0.0, float(explicit))
    headers = _headers_of(exc)
    if headers is None:
        return None
    millis = _header(headers, "retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    found = [
        _seconds_until(value, now())
        for name in ("retry-after", *_RESET_HEADERS)
        if (value := _header(headers, name)) is not None
    ]
    waits = [w for w in found if w is not None]
    return max(0.0, *waits) if waits else None

"""How long a failed response asked us to wait: ``Retry-After`` and the providers' reset headers.

>>> class Limited(Exception):
...     headers = {"Retry-After": "7"}
>>> retry_after(Limited())
7.0
>>> parse_duration("1m30.5s")
90.5

Provider reset headers count only on a rate limit (429, 529, ``RESOURCE_EXHAUSTED``): a 500
that happens to carry ``x-ratelimit-reset-requests`` is waited out by the strategy, not the
header. When the ``remaining`` headers say which dimension ran out, its reset is the wait:

>>> class Limited(Exception):
...     status_code = 429
...     headers = {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1s",
...                "x-ratelimit-remaining-tokens": "9000", "x-ratelimit-reset-tokens": "6m0s"}
>>> retry_after(Limited())
1.0
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

from powertools.retry._classify import is_rate_limit

__all__ = ["parse_duration", "retry_after"]

# OpenAI-style durations: "6m0s", "1s", "20ms", "1h2m3.5s".
_DURATION = re.compile(
    r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?"
    r"(?:(\d+(?:\.\d+)?)ms)?$"
)
# (remaining, reset) header pairs, one per dimension a provider limits.
_DIMENSIONS = (
    ("x-ratelimit-remaining-requests", "x-ratelimit-reset-requests"),
    ("x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"),
    ("anthropic-ratelimit-requests-remaining", "anthropic-ratelimit-requests-reset"),
    ("anthropic-ratelimit-tokens-remaining", "anthropic-ratelimit-tokens-reset"),
    ("anthropic-ratelimit-input-tokens-remaining", "anthropic-ratelimit-input-tokens-reset"),
    ("anthropic-ratelimit-output-tokens-remaining", "anthropic-ratelimit-output-tokens-reset"),
    ("x-ratelimit-remaining", "x-ratelimit-reset"),
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


def _number(text: str | None) -> float | None:
    try:
        return None if text is None else float(text)
    except ValueError:
        return None


def _server_wait(headers: Mapping[str, str], now: float) -> float | None:
    """The server's explicit word: ``retry-after-ms``, then ``Retry-After``."""
    millis = _number(_header(headers, "retry-after-ms"))
    if millis is not None:
        return millis / 1000
    value = _header(headers, "retry-after")
    return None if value is None else _seconds_until(value, now)


def _reset_wait(headers: Mapping[str, str], now: float) -> float | None:
    """The reset of the dimensions that ran out; of every dimension when none says so."""
    resets: list[tuple[float, bool]] = []
    for remaining_name, reset_name in _DIMENSIONS:
        value = _header(headers, reset_name)
        wait = None if value is None else _seconds_until(value, now)
        if wait is not None:
            remaining = _number(_header(headers, remaining_name))
            resets.append((wait, remaining is not None and remaining <= 0))
    exhausted = [wait for wait, out in resets if out]
    waits = exhausted or [wait for wait, _ in resets]
    return max(waits) if waits else None


def retry_after(exc: BaseException, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds the server asked us to wait before the next attempt, or ``None`` if it did not say.

    Reads ``exc.retry_after`` first, then the headers of ``exc`` or ``exc.response``:
    ``retry-after-ms`` and ``Retry-After`` (seconds or an HTTP date) on any error; on a rate
    limit only, the OpenAI/Anthropic reset headers: the reset of the dimension whose
    ``remaining`` header is 0, else the longest reset (never earlier than the server said).
    Never negative.
    """
    explicit = getattr(exc, "retry_after", None)
    if isinstance(explicit, int | float) and not isinstance(explicit, bool):
        return max(0.0, float(explicit))
    headers = _headers_of(exc)
    if headers is None:
        return None
    moment = now()
    wait = _server_wait(headers, moment)
    if wait is None and is_rate_limit(exc):
        wait = _reset_wait(headers, moment)
    return None if wait is None else max(0.0, wait)

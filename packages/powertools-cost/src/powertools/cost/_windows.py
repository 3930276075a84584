"""Calendar windows of a budget, in a chosen time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

__all__ = ["Window", "window_bounds", "window_id"]

Window = Literal["daily", "monthly", "total"]
_FORMATS = {"daily": "%Y-%m-%d", "monthly": "%Y-%m"}


def window_id(window: Window, now: float, tz: ZoneInfo) -> str:
    """The name of the window containing ``now`` (epoch seconds), on ``tz``'s calendar.

    >>> from zoneinfo import ZoneInfo
    >>> window_id("daily", 1764028800.0, ZoneInfo("UTC")), window_id("daily", 1764028800.0,
    ...     ZoneInfo("America/New_York"))
    ('2025-11-25', '2025-11-24')
    """
    if window == "total":
        return "all"
    if window not in _FORMATS:
        raise ValueError(f"window must be 'daily', 'monthly' or 'total', not {window!r}")
    return datetime.fromtimestamp(now, tz).strftime(_FORMATS[window])


def window_bounds(window: Window, now: float, tz: ZoneInfo) -> tuple[str, float, float]:
    """The window containing ``now``: its name, and its start and end in epoch seconds.

    >>> from zoneinfo import ZoneInfo
    >>> window_bounds("monthly", 1764028800.0, ZoneInfo("UTC"))
    ('2025-11', 1761955200.0, 1764547200.0)
    """
    name = window_id(window, now, tz)
    if window == "total":
        return name, float("-inf"), float("inf")
    local = datetime.fromtimestamp(now, tz)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if window == "daily":
        end = start + timedelta(days=1)
    else:
        start = start.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
    # wall-clock arithmetic, then back to epoch: a DST day is 23 or 25 hours long
    return name, start.timestamp(), end.replace(tzinfo=tz).timestamp()

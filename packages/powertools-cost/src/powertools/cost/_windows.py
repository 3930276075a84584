"""Calendar windows of a budget, in a chosen time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = ["Window", "window_id"]

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

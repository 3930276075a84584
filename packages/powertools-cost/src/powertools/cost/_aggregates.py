"""What a tracker keeps so that memory stays flat however many calls it records.

Reports and forecasts read per-day aggregates (one small object per calendar day, kept
``retain_days``); raw records are kept only as the most recent ``retain_records`` (for
analytics and exports), so a process that tracks a million calls holds a bounded amount.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from powertools.cost._money import usd
from powertools.cost._records import CallRecord

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from powertools.cost._report import DailyReport

__all__ = ["DayTotals", "Days", "retention"]


def retention(limit: int | None, *, what: str = "retain_records") -> tuple[int, int]:
    """For a limit of kept records: trim once there are more than the first, down to the
    second. Trimming a tenth at a time keeps appending amortised O(1).

    >>> retention(10_000), retention(None)[0] > 10**18
    ((11000, 10000), True)
    """
    if limit is None:
        return sys.maxsize, sys.maxsize
    if type(limit) is not int or limit < 0:
        raise ValueError(f"{what} must be a count >= 0 or None, not {limit!r}")
    return limit + max(limit // 10, 1), limit


@dataclass(slots=True)
class DayTotals:
    """One calendar day's spending, summed as calls are kept."""

    cost_fd: int = 0
    tasks: int = 0
    calls: int = 0
    unmetered: int = 0
    unpriced: int = 0
    tokens: int = 0
    by_model: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_task: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_user: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, r: CallRecord) -> None:
        cost = r.cost_fd
        self.cost_fd += cost
        u = r.usage
        if u is None:
            self.unmetered += 1
        else:  # Usage.total_tokens, unrolled: this runs for every tracked call
            self.calls += 1
            self.tokens += (
                u.input
                + u.cache_read
                + u.cache_write_5m
                + u.cache_write_1h
                + u.output
                + u.reasoning
                + u.audio_in
                + u.audio_out
                + u.image_in
            )
        if r.unpriced:
            self.unpriced += 1
        self.by_model[r.model or "-"] += cost
        self.by_task[r.task or "-"] += cost
        self.by_user[r.user or "-"] += cost


def _dollars(sums: dict[str, int]) -> dict[str, Decimal]:
    return {k: usd(v) for k, v in sorted(sums.items())}


class Days:
    """Per-day totals on ``tz``'s calendar, the last ``retain_days`` days."""

    def __init__(self, tz: ZoneInfo, retain_days: int = 400) -> None:
        if type(retain_days) is not int or retain_days < 1:
            raise ValueError(f"retain_days must be a positive int, not {retain_days!r}")
        self.tz = tz
        self.retain_days = retain_days
        self.days: dict[date, DayTotals] = {}
        self.total_fd = 0
        self._bounds = (0.0, 0.0, date.min)  # the last day seen: [start, end) and its date

    def day_of(self, at: float) -> date:
        """The calendar day of ``at`` (cached for the current day)."""
        start, end, day = self._bounds
        if start <= at < end:
            return day
        local = datetime.fromtimestamp(at, self.tz)
        day = local.date()
        midnight = datetime(day.year, day.month, day.day, tzinfo=self.tz)
        following = midnight + timedelta(days=1)
        self._bounds = (midnight.timestamp(), following.timestamp(), day)
        return day

    def add(self, records: Sequence[CallRecord]) -> None:
        """Count one span's records (one task on every day it touched)."""
        if len(records) == 1:  # the usual span: one call, no set to build
            r = records[0]
            start, end, day = self._bounds
            if not start <= r.at < end:
                day = self.day_of(r.at)
            totals = self.days.get(day) or self._new_day(day)
            totals.add(r)
            totals.tasks += 1
            self.total_fd += r.cost_fd
            return
        touched: set[date] = set()
        for r in records:
            day = self.day_of(r.at)
            day_totals = self.days.get(day) or self._new_day(day)
            day_totals.add(r)
            self.total_fd += r.cost_fd
            if day not in touched:
                touched.add(day)
                day_totals.tasks += 1

    def _new_day(self, day: date) -> DayTotals:
        totals = self.days[day] = DayTotals()
        oldest = day - timedelta(days=self.retain_days)
        for old in [d for d in self.days if d < oldest]:
            del self.days[old]
        return totals

    def daily_fd(self) -> dict[date, int]:
        """Each kept day's total in femto-dollars."""
        return {d: t.cost_fd for d, t in self.days.items()}

    def spent_fd(self, start: float, end: float) -> int:
        """The total of the days that lie in ``[start, end)`` (whole days, a window's)."""
        if start == float("-inf"):  # the "total" window: everything ever kept
            return self.total_fd
        first, last = self.day_of(start), self.day_of(max(end - 1e-6, start))
        return sum(t.cost_fd for d, t in self.days.items() if first <= d <= last)

    def report(self, day: date, remaining: Decimal | None) -> DailyReport:
        """The day's report from its totals."""
        from powertools.cost._report import DailyReport

        t = self.days.get(day) or DayTotals()
        return DailyReport(
            day=day,
            total=usd(t.cost_fd),
            task_count=t.tasks,
            call_count=t.calls,
            unmetered=t.unmetered,
            unpriced=t.unpriced,
            remaining=remaining,
            tokens=t.tokens,
            by_model=_dollars(t.by_model),
            by_task=_dollars(t.by_task),
            by_user=_dollars(t.by_user),
        )

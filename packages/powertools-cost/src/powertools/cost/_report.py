"""Reports and analytics over recorded calls."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from powertools.cost._money import usd
from powertools.cost._records import CallRecord, to_csv, to_json

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from powertools.cost._pricebook import PriceBook

__all__ = ["Analytics", "DailyReport", "daily_report"]


def _by(
    records: Iterable[CallRecord], key: Callable[[CallRecord], str | None]
) -> dict[str, Decimal]:
    sums: dict[str, int] = defaultdict(int)
    for r in records:
        sums[key(r) or "-"] += r.cost_fd
    return {k: usd(v) for k, v in sorted(sums.items())}


@dataclass(slots=True, frozen=True)
class DailyReport:
    """One day's spending: total, tasks, remaining budget, breakdowns."""

    day: date
    total: Decimal
    task_count: int
    call_count: int
    unmetered: int
    unpriced: int
    remaining: Decimal | None
    tokens: int
    by_model: dict[str, Decimal]
    by_task: dict[str, Decimal]
    by_user: dict[str, Decimal]


def local_day(at: float, tz: ZoneInfo) -> date:
    """The calendar day of an epoch time in ``tz``."""
    return datetime.fromtimestamp(at, tz).date()


def daily_report(
    records: Sequence[CallRecord], day: date, tz: ZoneInfo, remaining: Decimal | None
) -> DailyReport:
    """The report of ``day`` on ``tz``'s calendar."""
    today = [r for r in records if local_day(r.at, tz) == day]
    return DailyReport(
        day=day,
        total=usd(sum(r.cost_fd for r in today)),
        task_count=len({r.span_id for r in today}),
        call_count=sum(1 for r in today if r.metered),
        unmetered=sum(1 for r in today if not r.metered),
        unpriced=sum(1 for r in today if r.unpriced),
        remaining=remaining,
        tokens=sum(r.usage.total_tokens for r in today if r.usage),
        by_model=_by(today, lambda r: r.model),
        by_task=_by(today, lambda r: r.task),
        by_user=_by(today, lambda r: r.user),
    )


class Analytics:
    """Where the money went: per task, per user, per 1k tokens, cache savings, trend."""

    def __init__(self, records: Sequence[CallRecord], prices: PriceBook, tz: ZoneInfo) -> None:
        self.records = list(records)
        self.prices = prices
        self.tz = tz

    def cost_per_task(self) -> dict[str, Decimal]:
        """Total dollars per task name."""
        return _by(self.records, lambda r: r.task)

    def cost_per_user(self) -> dict[str, Decimal]:
        """Total dollars per user (``-`` for calls without one)."""
        return _by(self.records, lambda r: r.user)

    def cost_per_1k_tokens(self) -> dict[str, Decimal]:
        """Dollars per thousand tokens, per model (efficiency)."""
        cost: dict[str, int] = defaultdict(int)
        tokens: dict[str, int] = defaultdict(int)
        for r in self.records:
            if r.usage and r.model:
                cost[r.model] += r.cost_fd
                tokens[r.model] += r.usage.total_tokens
        return {m: (usd(cost[m]) * 1000 / tokens[m]) for m in sorted(cost) if tokens[m]}

    def cache_savings(self) -> Decimal:
        """What cache reads saved against paying the uncached input price for them."""
        saved = 0
        for r in self.records:
            if r.usage and r.model and r.usage.cache_read:
                rates = self.prices.resolve(r.model).period().rates(r.usage.prompt_tokens)
                saved += r.usage.cache_read * (rates.input - rates.cache_read)
        return usd(saved)

    def daily_totals(self) -> dict[date, Decimal]:
        """Dollars per calendar day, oldest first (the trend)."""
        sums: dict[date, int] = defaultdict(int)
        for r in self.records:
            sums[local_day(r.at, self.tz)] += r.cost_fd
        return {d: usd(v) for d, v in sorted(sums.items())}

    def trend(self) -> Decimal:
        """Least-squares slope of the daily totals, in dollars per day (0 with < 2 days)."""
        totals = self.daily_totals()
        if len(totals) < 2:
            return Decimal(0)
        first = min(totals)
        xs = [Decimal((d - first).days) for d in totals]
        ys = list(totals.values())
        mx, my = sum(xs, Decimal(0)) / len(xs), sum(ys, Decimal(0)) / len(ys)
        var = sum(((x - mx) ** 2 for x in xs), Decimal(0))
        cov = sum(((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)), Decimal(0))
        return cov / var

    def to_json(self) -> str:
        """Every call as lossless JSON."""
        return to_json(self.records)

    def to_csv(self) -> str:
        """Every call as lossless CSV."""
        return to_csv(self.records)

"""Monthly forecast from daily totals: robust trend, weekly season, an 80% interval.

The trend is the Theil-Sen slope (the median of pairwise slopes), so a one-day spike does not
tilt it; the weekly profile is the median residual per weekday. The 80% interval is a
residual bootstrap: each of ``SAMPLES`` pseudo-histories (the fit times resampled relative
residuals) is re-fitted, and its month is simulated with resampled residuals again, so the
interval holds both the day-to-day noise (spikes included) and the doubt in the trend and
season themselves. Its 10th and 90th percentiles are the interval. Measured coverage on the
package's synthetic series is in ``docs/cost``; the test suite keeps it within 70-90%.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from powertools.cost._records import CallRecord

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

__all__ = ["DailyModel", "Forecast", "fit_daily", "forecast_daily", "forecast_month"]

_CENT = Decimal("0.000001")
SAMPLES = 200  # bootstrap replicates: the percentiles move by about a cent in a hundred
_FEW = 7  # fewer days than this: too few residuals, the interval is a plain +-50%


@dataclass(slots=True, frozen=True)
class DailyModel:
    """Expected spend of a day: level + slope x days + weekday effect."""

    level: float
    slope: float
    season: tuple[float, ...]
    spread: float
    origin: date

    def expected(self, day: date) -> float:
        """Expected dollars on ``day`` (never negative)."""
        t = (day - self.origin).days
        return max(self.level + self.slope * t + self.season[day.weekday()], 0.0)


def _theil_sen(ys: Sequence[float]) -> float:
    import statistics

    slopes = [(ys[j] - ys[i]) / (j - i) for i in range(len(ys)) for j in range(i + 1, len(ys))]
    return statistics.median(slopes) if slopes else 0.0


def fit_daily(days: Sequence[date], values: Sequence[float]) -> DailyModel:
    """Fit the daily model to consecutive days' totals (oldest first)."""
    import statistics  # lazily: it imports random, fractions and more

    if not values:
        return DailyModel(0.0, 0.0, (0.0,) * 7, 0.0, date.today())
    origin = days[-1]
    slope = (
        _theil_sen(values[-56:]) if len(values) >= 7 else 0.0
    )  # a week, or season looks like trend
    detrended = [v - slope * (d - origin).days for d, v in zip(days, values, strict=True)]
    level = statistics.median(detrended[-28:])
    season = [0.0] * 7
    if len(values) >= 14:
        by_weekday: dict[int, list[float]] = defaultdict(list)
        for d, v in zip(days, detrended, strict=True):
            by_weekday[d.weekday()].append(v - level)
        season = [statistics.median(by_weekday[w]) if by_weekday[w] else 0.0 for w in range(7)]
    # Medians ignore spikes; their mean excess is added back so the total stays unbiased.
    recent = list(zip(days, detrended, strict=True))[-28:]
    level += statistics.fmean(v - level - season[d.weekday()] for d, v in recent)
    model = DailyModel(level, slope, tuple(season), 0.0, origin)
    residuals = [abs(v - model.expected(d)) for d, v in zip(days, values, strict=True)]
    spread = 1.4826 * statistics.median(residuals) if len(residuals) >= 3 else level / 2
    return DailyModel(level, slope, tuple(season), spread, origin)


@dataclass(slots=True, frozen=True)
class Forecast:
    """The month's projected cost with an 80% interval and when the budget runs out."""

    month: str
    spent_to_date: Decimal
    projected_cost: Decimal
    low: Decimal
    high: Decimal
    daily_rate: Decimal
    budget: Decimal | None
    run_out_date: date | None

    @property
    def will_exceed(self) -> bool:
        """True when the projection passes the budget."""
        return self.budget is not None and self.projected_cost > self.budget


def _money(value: float) -> Decimal:
    return Decimal(repr(max(value, 0.0))).quantize(_CENT)


def _daily(records: Sequence[CallRecord], tz: ZoneInfo) -> dict[date, int]:
    sums: dict[date, int] = defaultdict(int)
    for r in records:
        sums[datetime.fromtimestamp(r.at, tz).date()] += r.cost_fd
    return sums


def forecast_month(
    records: Sequence[CallRecord], now: float, tz: ZoneInfo, budget: Decimal | None
) -> Forecast:
    """Project this calendar month from every complete day before today (up to 8 weeks)."""
    return forecast_daily(_daily(records, tz), now, tz, budget)


def forecast_daily(
    sums: dict[date, int], now: float, tz: ZoneInfo, budget: Decimal | None
) -> Forecast:
    """:func:`forecast_month` from each day's total in femto-dollars."""
    today = datetime.fromtimestamp(now, tz).date()
    first_seen = min(sums, default=today)
    start = max(first_seen, today - timedelta(days=56))
    history = [start + timedelta(days=i) for i in range((today - start).days)]
    model = fit_daily(history, [sums.get(d, 0) / 1e15 for d in history])
    month_start = today.replace(day=1)
    spent_before = sum(v for d, v in sums.items() if month_start <= d < today) / 1e15
    last = (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    future = [today + timedelta(days=i) for i in range((last - today).days + 1)]
    spent_today = sums.get(today, 0) / 1e15
    expected = [model.expected(d) for d in future]
    expected[0] = max(expected[0], spent_today)
    projected = spent_before + sum(expected)
    values = [sums.get(d, 0) / 1e15 for d in history]
    low, high = _interval(history, values, future, spent_today, projected - spent_before)
    return Forecast(
        month=today.strftime("%Y-%m"),
        spent_to_date=_money(spent_before + spent_today),
        projected_cost=_money(projected),
        low=_money(spent_before + min(low, sum(expected))),
        high=_money(spent_before + max(high, sum(expected))),
        daily_rate=_money(sum(expected) / len(expected)),
        budget=budget,
        run_out_date=_run_out(budget, spent_before, future, expected),
    )


def _interval(
    days: list[date], values: list[float], future: list[date], spent_today: float, rest: float
) -> tuple[float, float]:
    """The 10th and 90th percentiles of the rest of the month's spend (residual bootstrap)."""
    model = fit_daily(days, values)
    fitted = [model.expected(d) for d in days]
    relative = [v / f - 1 for v, f in zip(values, fitted, strict=True) if f > 0]
    if len(relative) < _FEW:
        return max(rest * 0.5, spent_today), rest * 1.5
    # in-sample residuals are smaller than the errors ahead: widen them by the usual
    # sqrt(n / (n - p)), p the fitted parameters (level, slope, and six weekday effects)
    n = len(relative)
    fitted_params = 8 if len(values) >= 14 else 2
    widen = math.sqrt(n / max(n - fitted_params, 1))
    relative = [max(e * widen, -1.0) for e in relative]
    import random

    seed = len(values) * 1_000_003 + round(sum(values) * 1000)  # reproducible forecasts
    rng = random.Random(seed)  # noqa: S311  (statistics, not secrets)
    totals = []
    for _ in range(SAMPLES):
        pseudo = [f * (1 + rng.choice(relative)) for f in fitted]
        refit = fit_daily(days, pseudo)
        month = [max(refit.expected(d) * (1 + rng.choice(relative)), 0.0) for d in future]
        month[0] = max(month[0], spent_today)
        totals.append(sum(month))
    totals.sort()
    return totals[SAMPLES // 10], totals[SAMPLES - SAMPLES // 10 - 1]


def _run_out(
    budget: Decimal | None, spent: float, days: list[date], expected: list[float]
) -> date | None:
    if budget is None:
        return None
    limit = float(budget)
    for day, value in zip(days, expected, strict=True):
        spent += value
        if spent > limit:
            return day
    return None

"""``powertools costs report --html FILE``: one self-contained page, nothing fetched at view time.

Charts are inline SVG drawn here: spend over the month (cumulative, with the month-end
forecast band and the budget line), and spend by model, task and user. A few lines of inline
script check on load that every chart drew its marks and say so in ``data-charts`` on the
body (the test reads it in headless Chromium).

>>> from powertools.cost import CostTracker
>>> tracker = CostTracker(budget_usd=1, clock=lambda: 1_764_000_000.0)
>>> with tracker.track_call("summarise", model="gpt-4o-mini", user="ada") as span:
...     _ = span.record({"usage": {"prompt_tokens": 1000, "completion_tokens": 500}})
>>> page = render_report(tracker)
>>> page.count("<svg"), "https://" in page
(4, False)
"""

from __future__ import annotations

import calendar
import html
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

__all__ = ["render_report", "write_report"]

_W, _H, _PAD = 640, 260, 48
_CHECK = """
<script>
(function () {
  var charts = document.querySelectorAll("svg.chart");
  var drawn = 0;
  charts.forEach(function (svg) {
    var box = svg.getBBox();
    if (box.width > 0 && box.height > 0 && svg.querySelectorAll(".mark").length > 0) {
      drawn += 1;
    }
  });
  document.body.setAttribute("data-charts", drawn + "/" + charts.length);
})();
</script>
"""
_STYLE = """
body { font: 14px system-ui, sans-serif; margin: 2em auto; max-width: 720px; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 2em; }
.mark { fill: #3b6fb6; } .band { fill: #3b6fb6; opacity: .18; }
.line { fill: none; stroke: #3b6fb6; stroke-width: 2; }
.forecast { fill: none; stroke: #3b6fb6; stroke-width: 2; stroke-dasharray: 5 4; }
.budget { stroke: #c0392b; stroke-width: 1.5; stroke-dasharray: 2 3; }
text { font-size: 11px; fill: #444; } .axis { stroke: #999; }
table { border-collapse: collapse; } td { padding: 2px 12px 2px 0; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _money(value: Decimal | float) -> str:
    return f"${Decimal(value).quantize(Decimal('0.0001'))}"


def _bars(title: str, values: Mapping[str, Decimal]) -> str:
    """A horizontal bar chart, biggest first (at most 12 bars)."""
    items = sorted(values.items(), key=lambda kv: -kv[1])[:12] or [("(no calls)", Decimal(0))]
    top = max(float(v) for _, v in items) or 1.0
    row, left = 22, 170
    height = row * len(items) + 10
    parts = [
        f'<svg class="chart" role="img" aria-label="{_e(title)}" width="{_W}" '
        f'height="{height}" viewBox="0 0 {_W} {height}">'
    ]
    for i, (name, value) in enumerate(items):
        y = 5 + i * row
        width = max(1.0, (_W - left - 90) * float(value) / top)
        parts.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{_e(name)[:28]}</text>')
        parts.append(
            f'<rect class="mark" x="{left}" y="{y}" width="{width:.1f}" height="{row - 6}">'
            f"<title>{_e(name)}: {_money(value)}</title></rect>"
        )
        parts.append(f'<text x="{left + width + 6:.1f}" y="{y + 14}">{_money(value)}</text>')
    parts.append("</svg>")
    return f"<h2>{_e(title)}</h2>" + "".join(parts)


def _scale(top: float) -> Any:
    def y(value: float) -> float:
        return _H - _PAD - (_H - 2 * _PAD) * value / top

    return y


def _month_chart(daily: Mapping[date, Decimal], forecast: Any, today: date) -> str:
    """Cumulative spend through the month, the forecast band to month end, the budget line."""
    days = calendar.monthrange(today.year, today.month)[1]
    budget = float(forecast.budget) if forecast.budget is not None else None
    top = max(float(forecast.high), float(forecast.projected_cost), budget or 0.0, 1e-9) * 1.1
    y = _scale(top)

    def x(day: int) -> float:
        return _PAD + (_W - 2 * _PAD) * (day - 1) / max(1, days - 1)

    running, points = 0.0, []
    for day in range(1, today.day + 1):
        running += float(daily.get(today.replace(day=day), 0))
        points.append(f"{x(day):.1f},{y(running):.1f}")
    spent = float(forecast.spent_to_date)
    band = (
        f"{x(today.day):.1f},{y(spent):.1f} {x(days):.1f},{y(float(forecast.high)):.1f} "
        f"{x(days):.1f},{y(float(forecast.low)):.1f}"
    )
    parts = [
        f'<svg class="chart" role="img" aria-label="spend over the month" width="{_W}" '
        f'height="{_H}" viewBox="0 0 {_W} {_H}">',
        f'<line class="axis" x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - _PAD}" y2="{_H - _PAD}"/>',
        f'<polygon class="band mark" points="{band}"><title>80% forecast band: '
        f"{_money(forecast.low)} to {_money(forecast.high)}</title></polygon>",
        f'<polyline class="line mark" points="{" ".join(points)}"/>',
        f'<line class="forecast" x1="{x(today.day):.1f}" y1="{y(spent):.1f}" x2="{x(days):.1f}" '
        f'y2="{y(float(forecast.projected_cost)):.1f}"/>',
        f'<text x="{_PAD}" y="{_H - _PAD + 16}">{today.replace(day=1)}</text>',
        f'<text x="{_W - _PAD}" y="{_H - _PAD + 16}" text-anchor="end">'
        f"{today.replace(day=days)}</text>",
        f'<text x="{x(days) - 4:.1f}" y="{y(float(forecast.projected_cost)) - 6:.1f}" '
        f'text-anchor="end">forecast {_money(forecast.projected_cost)}</text>',
    ]
    if budget is not None:
        parts.append(
            f'<line class="budget" x1="{_PAD}" y1="{y(budget):.1f}" x2="{_W - _PAD}" '
            f'y2="{y(budget):.1f}"/><text x="{_PAD + 4}" y="{y(budget) - 5:.1f}">'
            f"budget {_money(budget)}</text>"
        )
    parts.append("</svg>")
    return "<h2>Spend this month, forecast and budget</h2>" + "".join(parts)


def _by_model(records: Sequence[Any]) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for record in records:
        name = record.model or "(unmetered)"
        found[name] = found.get(name, Decimal(0)) + record.cost
    return found


def render_report(tracker: Any) -> str:
    """The page for every call the tracker holds (``tracker.records``)."""
    analytics = tracker.analytics()
    forecast = tracker.forecast_monthly()
    today = datetime.fromtimestamp(tracker.clock(), tracker.budgets.tz).date()
    total = sum((r.cost for r in tracker.records), Decimal(0))
    budget = "no budget" if forecast.budget is None else f"budget {_money(forecast.budget)}"
    summary = (
        f"<table><tr><td>calls</td><td>{len(tracker.records)}</td></tr>"
        f"<tr><td>spent</td><td>{_money(total)}</td></tr>"
        f"<tr><td>month-end forecast</td><td>{_money(forecast.projected_cost)} (80%: "
        f"{_money(forecast.low)} to {_money(forecast.high)}), {budget}</td></tr></table>"
    )
    body = "".join(
        [
            f"<h1>powertools cost report, {_e(forecast.month)}</h1>",
            summary,
            _month_chart(analytics.daily_totals(), forecast, today),
            _bars("By model", _by_model(tracker.records)),
            _bars("By task", analytics.cost_per_task()),
            _bars("By user", analytics.cost_per_user()),
        ]
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>powertools cost report {_e(forecast.month)}</title><style>{_STYLE}</style>"
        f"</head><body>{body}{_CHECK}</body></html>\n"
    )


def write_report(path: Path, tracker: Any) -> Path:
    """Write :func:`render_report` to ``path`` (its folder is created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(tracker), encoding="utf-8")
    return path

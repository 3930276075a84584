"""``powertools costs report | forecast | export`` and ``powertools prices show | update | lint``.

The ledger is ``--ledger URL``, else ``$POWERTOOLS_COST_LEDGER``, else the SQLite file that
``powertools-cost`` uses; the budget is ``--budget USD``, else the stack's configured
``cost.budget_usd_per_month``.

>>> prices(["show", "gpt-4o-mini", "--json"])  # doctest: +ELLIPSIS
{"model": "gpt-4o-mini", "provider": "openai", ...}
0
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console

from powertools._output import Output, command_parser, fail, parse_args

__all__ = ["costs", "load_tracker", "prices"]

_BUCKETS = ("input", "output", "cache_read", "cache_write_5m", "cache_write_1h", "reasoning")


def _costs_parser(prog: str) -> argparse.ArgumentParser:
    parser = command_parser(prog, "Spending from the cost ledger.")
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    report = sub.add_parser("report", help="one day's spending by model, task and user")
    report.add_argument("--day", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
    report.add_argument("--html", type=Path, metavar="FILE", help="write a self-contained page")
    sub.add_parser("forecast", help="the month-end forecast, its 80%% band and the budget")
    export = sub.add_parser("export", help="every recorded call, lossless")
    export.add_argument("--format", choices=("csv", "json"), default="json")
    export.add_argument("--since", type=date.fromisoformat, help="YYYY-MM-DD (UTC)")
    for p in (report, sub.choices["forecast"], export):
        p.add_argument("--ledger", help="a ledger URL (default: $POWERTOOLS_COST_LEDGER)")
        p.add_argument("--budget", type=Decimal, help="the monthly budget in dollars")
        p.add_argument("--tz", default="UTC", help="the calendar's time zone (default: UTC)")
        p.add_argument("--json", action="store_true", help="print JSON for scripts")
    return parser


def _configured_budget() -> Decimal | None:
    from powertools._config import configured

    value = configured("cost", "budget_usd_per_month")
    return None if value is None else Decimal(value)


def load_tracker(ledger: str | None, budget: Decimal | None, tz: str) -> Any:
    """A ``CostTracker`` over every call already in ``ledger`` (read once, here)."""
    from powertools.cost import CostTracker, LedgerError
    from powertools.cost.cli import default_ledger_path, default_ledger_url

    url = ledger or default_ledger_url()
    if url == f"sqlite:///{default_ledger_path()}" and not default_ledger_path().is_file():
        raise LedgerError(
            f"no ledger at {default_ledger_path()} yet: track calls with "
            f"CostTracker(ledger={url!r}), run `powertools demo`, or pass --ledger URL"
        )
    tracker = CostTracker(budget_usd=budget, ledger=url, tz=tz)
    records = asyncio.run(tracker.ledger.records())
    tracker.records.extend(records)
    spans: dict[str, list[Any]] = {}
    for record in records:  # a span's later records are "<span id>.<n>"
        spans.setdefault(record.span_id.split(".", 1)[0], []).append(record)
    for span in spans.values():  # reports and forecasts read the per-day totals, span by span
        tracker.days.add(span)
    return tracker


def costs(argv: Sequence[str] | None = None, *, prog: str = "powertools costs") -> int:
    """Run ``powertools costs``; 0 done, 1 failed (said in one line), 2 bad usage."""
    from powertools.cost import CostError

    args = parse_args(_costs_parser(prog), argv)
    if isinstance(args, int):
        return args
    try:
        budget = args.budget if args.budget is not None else _configured_budget()
        tracker = load_tracker(args.ledger, budget, args.tz)
    except CostError as exc:
        return fail(prog, str(exc))
    except (ValueError, LookupError) as exc:  # a bad --tz, a bad config value
        return fail(prog, str(exc), 2)
    out = Output(args.json)
    if args.action == "report":
        return _report(args, tracker, out, prog)
    if args.action == "forecast":
        return _forecast(tracker, out)
    return _export(args, tracker, out)


def _report(args: argparse.Namespace, tracker: Any, out: Output, prog: str) -> int:
    report = tracker.get_daily_report(args.day)
    # this month's spend in the ledger against the budget (the ledger's own budget counters
    # only hold what was tracked under a budget of the same name)
    forecast = tracker.forecast_monthly()
    remaining = None if forecast.budget is None else forecast.budget - forecast.spent_to_date
    if args.html is not None:
        from powertools._html_report import write_report

        try:
            write_report(args.html, tracker)
        except OSError as exc:
            return fail(prog, f"cannot write {args.html}: {exc.strerror or exc}")
    data = {
        "day": report.day,
        "total": report.total,
        "tasks": report.task_count,
        "calls": report.call_count,
        "unmetered": report.unmetered,
        "tokens": report.tokens,
        "remaining": remaining,
        "by_model": report.by_model,
        "by_task": report.by_task,
        "by_user": report.by_user,
        "html": str(args.html) if args.html else None,
    }

    def render(console: Console) -> None:
        left = "" if remaining is None else f", ${remaining} of the budget left this month"
        console.print(
            f"{report.day}: [bold]${report.total}[/bold] over {report.task_count} tasks, "
            f"{report.call_count} calls, {report.tokens:,} tokens{left}"
        )
        rows = [
            (kind, name, f"${cost}")
            for kind, costs in (
                ("model", report.by_model),
                ("task", report.by_task),
                ("user", report.by_user),
            )
            for name, cost in sorted(costs.items(), key=lambda kv: -kv[1])
        ]
        console.print(out.table("spending", ("by", "name", "cost"), rows))
        if args.html:
            console.print(f"wrote {args.html}")

    out.emit(data, render)
    return 0


def _forecast(tracker: Any, out: Output) -> int:
    f = tracker.forecast_monthly()
    data = {
        "month": f.month,
        "spent_to_date": f.spent_to_date,
        "projected": f.projected_cost,
        "low": f.low,
        "high": f.high,
        "daily_rate": f.daily_rate,
        "budget": f.budget,
        "run_out_date": f.run_out_date,
        "will_exceed": f.will_exceed,
    }
    budget = "no budget" if f.budget is None else f"budget ${f.budget}"
    run_out = f", runs out on {f.run_out_date}" if f.run_out_date else ""
    out.emit(
        data,
        lambda console: console.print(
            f"{f.month}: ${f.spent_to_date} so far, ${f.daily_rate}/day; month-end "
            f"${f.projected_cost} (80%: ${f.low} to ${f.high}); {budget}{run_out}"
        ),
    )
    return 0


def _export(args: argparse.Namespace, tracker: Any, out: Output) -> int:
    from powertools.cost import to_csv, to_json

    records = tracker.records
    if args.since is not None:
        start = datetime(args.since.year, args.since.month, args.since.day, tzinfo=UTC)
        records = [r for r in records if r.at >= start.timestamp()]
    text = to_csv(records) if args.format == "csv" else to_json(records) + "\n"
    out.stream.write(text)
    return 0


def _prices_parser(prog: str) -> argparse.ArgumentParser:
    parser = command_parser(prog, "The price database (shipped prices, or imported versions).")
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = sub.add_parser("show", help="a model's prices in dollars per million tokens")
    show.add_argument("model")
    update = sub.add_parser("update", help="import a LiteLLM price map as a new version")
    update.add_argument("source", help="a file, or an https:// URL")
    update.add_argument("--force", action="store_true", help="accept a map that shrank a lot")
    update.add_argument("--strict", action="store_true", help="refuse any lint finding")
    update.add_argument("--dir", help="the price store (default: $POWERTOOLS_COST_PRICES_DIR)")
    lint = sub.add_parser("lint", help="check a LiteLLM price map without importing it")
    lint.add_argument("source", help="a file, or an https:// URL")
    for p in (show, update, lint):
        p.add_argument("--json", action="store_true", help="print JSON for scripts")
    return parser


def prices(argv: Sequence[str] | None = None, *, prog: str = "powertools prices") -> int:
    """Run ``powertools prices``; 0 done, 1 refused or lint findings, 2 bad usage."""
    from powertools.cost import CostError

    args = parse_args(_prices_parser(prog), argv)
    if isinstance(args, int):
        return args
    out = Output(args.json)
    try:
        if args.action == "show":
            return _show(args.model, out)
        if args.action == "update":
            return _update(args, out)
        return _lint(args.source, out)
    except CostError as exc:
        return fail(prog, str(exc))


def _show(model: str, out: Output) -> int:
    from powertools.cost import price_for

    price = price_for(model)
    per_million = {
        bucket: rate
        for bucket in _BUCKETS
        if (rate := price.per_million(bucket)) or bucket in {"input", "output"}
    }
    data = {
        "model": price.model,
        "provider": price.provider,
        "context_window": price.context_window,
        "per_million_usd": per_million,
    }
    out.emit(
        data,
        lambda console: console.print(
            out.table(
                f"{price.model} ({price.provider}), $ per million tokens",
                ("bucket", "price"),
                ((bucket, f"${value}") for bucket, value in per_million.items()),
            )
        ),
    )
    return 0


def _update(args: argparse.Namespace, out: Output) -> int:
    from powertools.cost import PriceStore

    store = PriceStore(args.dir) if args.dir else PriceStore.from_environment()
    result = store.import_litellm(args.source, force=args.force, strict=args.strict)
    data = {
        "version": result.version,
        "models": result.models,
        "skipped": result.skipped,
        "path": result.path,
        "lint": list(result.violations),
    }
    out.emit(
        data,
        lambda console: console.print(
            f"stored price version {result.version}: {result.models} models "
            f"({result.skipped} skipped, {len(result.violations)} lint findings) in {result.path}"
        ),
    )
    return 0


def _lint(source: str, out: Output) -> int:
    from powertools.cost import PriceStore

    with tempfile.TemporaryDirectory(prefix="powertools-prices-lint-") as scratch:
        result = PriceStore(scratch).import_litellm(source, force=True)
    findings = list(result.violations)
    data = {"models": result.models, "skipped": result.skipped, "lint": findings}

    def render(console: Console) -> None:
        console.print(
            f"{result.models} models, {result.skipped} skipped, {len(findings)} lint findings"
        )
        for finding in findings:
            console.print(f"  {finding}", highlight=False)

    out.emit(data, render)
    return 1 if findings else 0

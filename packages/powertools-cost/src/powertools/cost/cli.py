"""The ``powertools-cost`` command: update and show prices, report and export the ledger.

Also ``python -m powertools.cost`` and ``powertools cost`` (with the meta-package). The ledger
is ``--ledger``, else ``$POWERTOOLS_COST_LEDGER``, else an SQLite file in the user's data
folder, so calls tracked with ``CostTracker(ledger=...)`` by any process can be reported on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from powertools.cost._ledgers import open_ledger
from powertools.cost._pricebook import PriceBook
from powertools.cost._pricestore import PriceStore
from powertools.cost._records import CallRecord, to_csv, to_json
from powertools.cost._report import daily_report
from powertools.cost._usage import BUCKETS
from powertools.cost.errors import CostError, LedgerError

__all__ = ["default_ledger_path", "default_ledger_url", "main"]


def default_ledger_path() -> Path:
    """The CLI's SQLite ledger: ``powertools/cost/ledger.sqlite3`` in the user's data folder."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "powertools" / "cost" / "ledger.sqlite3"


def default_ledger_url() -> str:
    """``$POWERTOOLS_COST_LEDGER``, else ``sqlite:///`` + :func:`default_ledger_path`."""
    return os.environ.get("POWERTOOLS_COST_LEDGER") or f"sqlite:///{default_ledger_path()}"


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="Prices, reports and exports of LLM spending."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    prices = commands.add_parser("prices", help="the price database").add_subparsers(
        dest="action", required=True
    )
    imp = prices.add_parser("import", help="import a LiteLLM price map (file or URL)")
    imp.add_argument("source", help="a file, or an https:// URL")
    imp.add_argument("--force", action="store_true", help="accept a map that shrank a lot")
    imp.add_argument("--strict", action="store_true", help="refuse any lint violation")
    versions = prices.add_parser("versions", help="the stored price versions")
    use = prices.add_parser("use", help="pin a stored version (roll back or forward)")
    use.add_argument("version", type=int)
    show = prices.add_parser("show", help="a model's prices in dollars per million tokens")
    show.add_argument("model")
    for p in (imp, use, versions):
        p.add_argument("--dir", help="the price store (default: $POWERTOOLS_COST_PRICES_DIR)")

    report = commands.add_parser("report", help="one day's spending from the ledger")
    report.add_argument("--day", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
    report.add_argument("--tz", default="UTC", help="the calendar's time zone (default: UTC)")
    export = commands.add_parser("export", help="every recorded call, lossless")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--since", type=date.fromisoformat, help="YYYY-MM-DD (UTC)")
    for p in (report, export):
        p.add_argument("--ledger", help="a ledger URL (default: $POWERTOOLS_COST_LEDGER or SQLite)")
    return parser


def main(
    argv: Sequence[str] | None = None,
    out: TextIO | None = None,
    *,
    prog: str = "powertools-cost",
) -> int:
    """Run the command; returns the exit status (0 done, 1 refused or failed, 2 bad usage).

    ``prog`` names the command in usage and errors (``"powertools cost"`` through the
    meta-package's command).

    >>> main(["prices", "show", "gpt-4o-mini"])  # doctest: +ELLIPSIS
    gpt-4o-mini (openai), ...
      input ...
    0
    """
    out = out or sys.stdout
    try:
        args = _parser(prog).parse_args(argv)
    except SystemExit as stop:  # --help, or a usage error argparse has already explained
        return stop.code if isinstance(stop.code, int) else 2
    try:
        if args.command == "prices":
            return _prices(args, out)
        if args.command == "report":
            return _report(args, out)
        return _export(args, out)
    except CostError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 1


def _store(args: argparse.Namespace) -> PriceStore:
    return PriceStore(args.dir) if getattr(args, "dir", None) else PriceStore.from_environment()


def _prices(args: argparse.Namespace, out: TextIO) -> int:
    if args.action == "show":
        return _show(args.model, out)
    store = _store(args)
    if args.action == "import":
        result = store.import_litellm(args.source, force=args.force, strict=args.strict)
        out.write(
            f"stored version {result.version}: {result.models} models "
            f"({result.skipped} skipped) in {result.path}\n"
        )
        for violation in result.violations:
            out.write(f"  lint: {violation}\n")
    elif args.action == "use":
        store.use(args.version)
        out.write(f"now using price version {args.version}\n")
    else:
        current = store.current_version()
        for version in store.versions():
            out.write(f"{version}{'  (current)' if version == current else ''}\n")
        if current is None:
            out.write(f"no imported prices in {store.directory}: the shipped prices apply\n")
    return 0


def _show(model: str, out: TextIO) -> int:
    price = PriceBook.default().resolve(model)
    period = price.period()
    window = f", context {price.context_window:,}" if price.context_window else ""
    out.write(f"{price.model} ({price.provider}), from {period.effective_from}{window}\n")
    for bucket in BUCKETS:
        out.write(f"  {bucket:<15} ${price.per_million(bucket)}\n")
    for above, _ in period.tiers:
        tier = [
            f"{b} ${price.per_million(b, prompt_tokens=above + 1)}" for b in ("input", "output")
        ]
        out.write(f"  above {above:,} prompt tokens: {', '.join(tier)}\n")
    if period.batch_multiplier is not None:
        out.write(f"  batch: x{period.batch_multiplier}\n")
    return 0


def _records(url: str | None, since: float | None = None) -> list[CallRecord]:
    url = url or default_ledger_url()
    if url == f"sqlite:///{default_ledger_path()}" and not default_ledger_path().is_file():
        raise LedgerError(
            f"no ledger at {default_ledger_path()} yet: track calls with "
            f"CostTracker(ledger={url!r}), or pass --ledger URL"
        )
    ledger = open_ledger(url)

    async def read() -> list[CallRecord]:
        try:
            return await ledger.records(since)
        finally:
            await ledger.aclose()

    return asyncio.run(read())


def _report(args: argparse.Namespace, out: TextIO) -> int:
    try:
        tz = ZoneInfo(args.tz)
    except (ZoneInfoNotFoundError, ValueError):
        print(f"powertools-cost: unknown time zone {args.tz!r} (try Europe/Paris)", file=sys.stderr)
        return 2
    day = args.day or datetime.now(tz).date()
    report = daily_report(_records(args.ledger), day, tz, None)
    out.write(
        f"{report.day}: ${report.total} over {report.task_count} tasks, "
        f"{report.call_count} calls ({report.unmetered} unmetered), {report.tokens:,} tokens\n"
    )
    for title, costs in (
        ("model", report.by_model),
        ("task", report.by_task),
        ("user", report.by_user),
    ):
        for name, cost in sorted(costs.items(), key=lambda kv: -kv[1]):
            out.write(f"  {title:<5} {name:<30} ${cost}\n")
    return 0


def _export(args: argparse.Namespace, out: TextIO) -> int:
    since = None
    if args.since is not None:
        since = datetime(args.since.year, args.since.month, args.since.day, tzinfo=UTC).timestamp()
    records = _records(args.ledger, since)
    out.write(to_csv(records) if args.format == "csv" else to_json(records) + "\n")
    return 0

"""``powertools logs query | tail | count | verify-audit``.

Events are read from ``--sink URL`` (``sqlite:///path``, ``file:///path.jsonl``,
``postgresql://...``), else the logging package's default store in the user's data folder.
``--where key=value`` filters on a field (dotted paths reach nested fields).

>>> import tempfile, pathlib
>>> from powertools.logging import StructuredLogger
>>> db = f"sqlite:///{pathlib.Path(tempfile.mkdtemp()) / 'events.db'}"
>>> log = StructuredLogger("doc", sinks=[db])
>>> log.info("llm_call", model="gpt-4o")
>>> log.close()
>>> main(["count", "--sink", db, "--event", "llm_call", "--json"])
{"count": 1}
0
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from rich.console import Console

from powertools._output import Output, command_parser, fail, parse_args

__all__ = ["main"]

_MAX = 1_000_000


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = command_parser(prog, "Query the structured logs, and verify the audit trail.")
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    query = sub.add_parser("query", help="events matching every term, oldest first")
    tail = sub.add_parser("tail", help="the newest events")
    tail.add_argument("-n", "--lines", type=int, default=20, help="how many (default: 20)")
    count = sub.add_parser("count", help="how many events match")
    for p in (query, tail, count):
        p.add_argument("--sink", help="the store to read (default: the local SQLite store)")
        p.add_argument("--event", help="the event name")
        p.add_argument("--since", help="ISO time or date (UTC when naive)")
        p.add_argument("--until", help="ISO time or date; a date means its end")
        p.add_argument("--level", help="the lowest level: debug, info, warning, error")
        p.add_argument("--logger", help="the logger's name")
        p.add_argument("--where", action="append", default=[], metavar="KEY=VALUE")
        p.add_argument("--json", action="store_true", help="print JSON for scripts")
    query.add_argument("--limit", type=int, default=100, help="at most this many (default: 100)")
    verify = sub.add_parser("verify-audit", help="check an audit trail's chain and checkpoints")
    verify.add_argument("path", help="the audit trail file")
    verify.add_argument("--checkpoints", metavar="PATH", help="default: PATH.checkpoints")
    verify.add_argument("--public-key", metavar="KEY", help="64 hex digits, or a file")
    verify.add_argument("--json", action="store_true", help="print JSON for scripts")
    return parser


def _filters(pairs: Sequence[str]) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--where {pair!r} is not KEY=VALUE; write e.g. --where model=gpt-4o")
        filters[key] = value
    return filters


def _events(args: argparse.Namespace, limit: int) -> list[Any]:
    from powertools.logging import StructuredLogger

    logger = StructuredLogger("powertools-cli", sinks=[args.sink] if args.sink else None)
    try:
        # a QueryResult reads its rows lazily: take them before the logger closes its store
        return list(
            logger.query(
                args.event,
                args.since,
                args.until,
                _filters(args.where),
                limit,
                level=args.level,
                logger=args.logger,
            )
        )
    finally:
        logger.close()


def _as_dict(event: Any) -> dict[str, Any]:
    return {
        "time": event.time,
        "level": event.level.name.lower(),
        "logger": event.logger,
        "event": event.event,
        **event.fields,
    }


def main(argv: Sequence[str] | None = None, *, prog: str = "powertools logs") -> int:
    """Run ``powertools logs``; 0 done, 1 failed or tampered, 2 bad usage."""
    from powertools.logging import LoggingError

    args = parse_args(_parser(prog), argv)
    if isinstance(args, int):
        return args
    if args.action == "verify-audit":
        return _verify(args, prog)
    try:
        limit = {"query": getattr(args, "limit", 0), "tail": getattr(args, "lines", 0)}
        events = _events(args, limit.get(args.action, _MAX))
    except LoggingError as exc:
        return fail(prog, str(exc))
    except ValueError as exc:
        return fail(prog, str(exc), 2)
    out = Output(args.json)
    if args.action == "count":
        out.emit({"count": len(events)}, lambda console: console.print(len(events)))
        return 0
    rows = [_as_dict(e) for e in events]
    out.emit({"events": rows}, lambda console: _render(console, rows))
    return 0


def _render(console: Console, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        fields = " ".join(
            f"{k}={v}" for k, v in row.items() if k not in {"time", "level", "logger", "event"}
        )
        console.print(
            f"{row['time']:%Y-%m-%d %H:%M:%S} {row['level']:<7} {row['event']} {fields}",
            highlight=False,
            soft_wrap=True,
        )


def _verify(args: argparse.Namespace, prog: str) -> int:
    from powertools.logging.cli import main as logging_main

    argv = ["audit", "verify", args.path]
    if args.checkpoints:
        argv += ["--checkpoints", args.checkpoints]
    if args.public_key:
        argv += ["--public-key", args.public_key]
    if not args.json:
        return logging_main(argv, prog=prog)
    import contextlib
    import io

    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        status = logging_main(argv, prog=prog)
    if status != 2:  # 2: the input could not be checked, already said on stderr
        Output(True).emit({"ok": status == 0, "result": said.getvalue().strip()}, print)
    return status

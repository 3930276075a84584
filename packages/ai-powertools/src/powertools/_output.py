"""What every ``powertools`` command shares: ``--json``, tables for people, one-line errors.

>>> import io
>>> out = Output(json_mode=True, stream=io.StringIO())
>>> out.emit({"total": Decimal("1.5")}, lambda console: None)
>>> out.stream.getvalue()
'{"total": "1.5"}\\n'
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

__all__ = ["Output", "UsageError", "command_parser", "fail", "parse_args", "to_json"]


class UsageError(Exception):
    """Bad input to a command: reported in one line, exit status 2."""


def _default(value: Any) -> Any:
    if isinstance(value, Decimal | Path):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    if hasattr(value, "as_dict"):
        return value.as_dict()
    return repr(value)


def to_json(data: Any) -> str:
    """``data`` as one line of JSON: Decimals and paths as strings, dates in ISO 8601."""
    return json.dumps(data, default=_default, sort_keys=False)


@dataclass(slots=True)
class Output:
    """Where a command writes: JSON when ``json_mode``, else rich tables on ``stream``."""

    json_mode: bool = False
    stream: TextIO = field(default_factory=lambda: sys.stdout)
    _console: Console | None = None

    @property
    def console(self) -> Console:
        """The rich console for people (wide enough for the tables, colour only on a tty)."""
        if self._console is None:
            self._console = Console(file=self.stream, width=max(100, Console().width))
        return self._console

    def emit(self, data: Any, render: Callable[[Console], None]) -> None:
        """Write ``data`` as JSON, or call ``render`` with the console."""
        if self.json_mode:
            self.stream.write(to_json(data) + "\n")
        else:
            render(self.console)

    def table(self, title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
        """A rich table (right-aligned numbers) ready to print."""
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(str(cell) for cell in row))
        return table


def fail(prog: str, message: str, status: int = 1) -> int:
    """Print ``prog: message`` on stderr and return ``status``."""
    print(f"{prog}: {message}", file=sys.stderr)
    return status


def command_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """A parser with the ``--json`` flag every command has."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    return parser


def parse_args(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None
) -> argparse.Namespace | int:
    """The parsed arguments, or the exit status argparse chose (0 for --help, 2 bad usage)."""
    try:
        return parser.parse_args(argv)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 2

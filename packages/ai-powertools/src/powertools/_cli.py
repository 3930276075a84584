"""The powertools command: the stack's tools, in one place.

Every command comes from a component's powertools.components entry point, so the list below
is what is installed here. Each takes --json for scripts (also given before the command:
powertools --json costs report).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from powertools._components import Command, Discovery, discover

__all__ = ["main"]


def _parser(found: Discovery, commands: dict[str, Command]) -> argparse.ArgumentParser:
    epilog = "\n".join(f.line() for f in found.failures) or None
    parser = argparse.ArgumentParser(
        prog="powertools",
        description=__doc__,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in sorted(commands.items()):
        sub.add_parser(name, help=command.help, add_help=False)
    return parser


def _split(args: list[str]) -> tuple[bool, list[str]]:
    """Take a leading ``--json`` off, to hand it to the command."""
    wants_json = False
    while args and args[0] == "--json":
        wants_json = True
        args = args[1:]
    return wants_json, args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``powertools`` command; returns the exit status.

    >>> main(["info", "--json"])  # doctest: +ELLIPSIS
    {"components": [...
    0
    """
    wants_json, args = _split(list(sys.argv[1:] if argv is None else argv))
    found = discover()
    commands = found.commands()
    if args and args[0] in commands:
        command = commands[args[0]]
        try:
            run = command.load()
        except Exception as exc:  # a broken command must not hide the others
            print(
                f"powertools: the {command.name!r} command of component {command.component!r} "
                f"failed to load ({type(exc).__name__}: {exc}); reinstall that component",
                file=sys.stderr,
            )
            return 1
        rest = args[1:] + (["--json"] if wants_json else [])
        return int(run(rest, prog=f"powertools {command.name}"))
    parser = _parser(found, commands)
    try:
        parser.parse_args(args)
    except SystemExit as stop:
        return stop.code if isinstance(stop.code, int) else 2
    return 2  # pragma: no cover - argparse exits for every command it does not know


if __name__ == "__main__":
    raise SystemExit(main())

"""The ``powertools`` command: what is installed, a demo of the stack, each component's commands.

``powertools <component> ...`` runs that component's own command line (``powertools cost
report`` is ``powertools-cost report``): a component has one when it ships
``powertools.<component>.cli`` with a ``main(argv, *, prog)`` function.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import TextIO

from powertools._exports import EXPORTS

__all__ = ["main"]

COMPONENT_GROUP = "powertools.components"


@dataclass(slots=True, frozen=True)
class Component:
    """One installed powertools distribution, found through its entry point."""

    name: str
    distribution: str
    version: str
    provides: tuple[str, ...]


def installed_components() -> list[Component]:
    """The powertools components installed here, found through ``powertools.components``."""
    found: list[Component] = []
    for entry in metadata.entry_points(group=COMPONENT_GROUP):
        module = entry.load()
        provides = tuple(
            name
            for name, export in EXPORTS.items()
            if export.module == entry.value and hasattr(module, name)
        )
        dist = entry.dist
        found.append(
            Component(
                name=entry.name,
                distribution=dist.name if dist else "?",
                version=dist.version if dist else getattr(module, "__version__", "?"),
                provides=provides,
            )
        )
    return sorted(found, key=lambda c: c.name)


def _print_components(out: TextIO) -> list[Component]:
    components = installed_components()
    for c in components:
        names = ", ".join(c.provides) if c.provides else "(no top-level names yet)"
        out.write(f"  {c.distribution:<22} {c.version:<8} {names}\n")
    missing = sorted(
        {e.distribution for e in EXPORTS.values()} - {c.distribution for c in components}
    )
    for dist in missing:
        out.write(f"  {dist:<22} missing  pip install {dist}\n")
    return components


def cmd_info(out: TextIO) -> int:
    """Print the installed powertools distributions and the names each provides."""
    out.write("powertools distributions:\n")
    _print_components(out)
    return 0


def cmd_demo(out: TextIO) -> int:
    """Show the stack at work; until every component has landed, say what is missing."""
    out.write("powertools demo\n\n")
    components = _print_components(out)
    ready = {name for c in components for name in c.provides}
    absent = [name for name in EXPORTS if name not in ready]
    out.write("\n")
    if absent:
        out.write(
            "The full demo (a simulated router with budgets, rate limits, retries, sessions and\n"
            "logs, no API keys needed) runs once every component provides its names.\n"
            f"Not available yet: {', '.join(absent)}.\n"
        )
        return 0
    out.write("All components are installed.\n")
    return 0


def component_names() -> list[str]:
    """Names of the installed components (their entry points), without importing them."""
    return sorted({e.name for e in metadata.entry_points(group=COMPONENT_GROUP)})


def component_cli(name: str) -> Callable[..., int] | None:
    """The ``main(argv, *, prog)`` of a component's command line, or None when it has none."""
    from importlib import import_module
    from importlib.util import find_spec

    module = f"powertools.{name}.cli"
    if find_spec(module) is None:
        return None
    run: Callable[..., int] = import_module(module).main
    return run


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``powertools`` command.

    >>> import io
    >>> main(["info"]) == 0
    powertools distributions:
    ...
    True
    """
    args_in = list(sys.argv[1:] if argv is None else argv)
    components = component_names()
    if args_in and args_in[0] in components:
        run = component_cli(args_in[0])
        if run is None:
            print(f"powertools: powertools-{args_in[0]} has no command line", file=sys.stderr)
            return 2
        return run(args_in[1:], prog=f"powertools {args_in[0]}")
    parser = argparse.ArgumentParser(prog="powertools", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="list the installed powertools distributions")
    sub.add_parser("demo", help="run the demo of the whole stack")
    for name in components:
        sub.add_parser(name, help=f"powertools-{name}'s own commands (see its --help)")
    args = parser.parse_args(args_in)
    if args.command == "info":
        return cmd_info(sys.stdout)
    return cmd_demo(sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())

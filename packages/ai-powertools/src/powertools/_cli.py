"""The ``powertools`` command: what is installed, and a demo of the stack."""

from __future__ import annotations

import argparse
import sys
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


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``powertools`` command.

    >>> import io
    >>> main(["info"]) == 0
    powertools distributions:
    ...
    True
    """
    parser = argparse.ArgumentParser(prog="powertools", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="list the installed powertools distributions")
    sub.add_parser("demo", help="run the demo of the whole stack")
    args = parser.parse_args(argv)
    if args.command == "info":
        return cmd_info(sys.stdout)
    return cmd_demo(sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())

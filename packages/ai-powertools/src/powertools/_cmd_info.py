"""``powertools info`` and ``powertools config``.

>>> main(["--json"], prog="powertools info")  # doctest: +ELLIPSIS
{"components": [{"name": "cost", "distribution": "powertools-cost", ...
0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console

from powertools._components import discover
from powertools._config import StackConfigError, load_config, schema_of
from powertools._exports import EXPORTS
from powertools._output import Output, command_parser, fail, parse_args

__all__ = ["config", "main"]


def _info_data() -> dict[str, Any]:
    found = discover()
    components = [
        {
            "name": info.name,
            "distribution": info.distribution,
            "version": info.version,
            "provides": sorted(info.exports),
            "commands": sorted(c.name for c in info.commands),
        }
        for info in sorted(found.components.values(), key=lambda i: i.name)
    ]
    present = {c["distribution"] for c in components} | {f.distribution for f in found.failures}
    missing = sorted({e.distribution for e in EXPORTS.values()} - present)
    return {
        "components": components,
        "failed": [{"name": f.name, "target": f.target, "error": f.error} for f in found.failures],
        "missing": [{"distribution": d, "install": f"pip install {d}"} for d in missing],
        "_lines": [f.line() for f in found.failures],
    }


def main(argv: Sequence[str] | None = None, *, prog: str = "powertools info") -> int:
    """The installed components, their names and commands; failed and missing ones."""
    parser = command_parser(prog, "The installed powertools components.")
    args = parse_args(parser, argv)
    if isinstance(args, int):
        return args
    data = _info_data()
    lines = data.pop("_lines")
    out = Output(args.json)

    def render(console: Console) -> None:
        rows = [
            (
                c["distribution"],
                c["version"],
                ", ".join(c["provides"]) or "-",
                ", ".join(c["commands"]) or "-",
            )
            for c in data["components"]
        ]
        rows += [(m["distribution"], "missing", m["install"], "-") for m in data["missing"]]
        console.print(
            out.table(
                "powertools components", ("distribution", "version", "names", "commands"), rows
            )
        )
        for line in lines:
            console.print(f"[red]{line}[/red]", highlight=False)

    out.emit(data, render)
    return 1 if data["failed"] else 0


def config(argv: Sequence[str] | None = None, *, prog: str = "powertools config") -> int:
    """Every section's resolved options and where each came from (file, variable, default)."""
    parser = command_parser(prog, "The stack's resolved configuration.")
    parser.add_argument("--file", help="a powertools.toml to read instead of the search")
    args = parse_args(parser, argv)
    if isinstance(args, int):
        return args
    schema = schema_of()
    try:
        resolved = load_config(schema, path=args.file)
    except StackConfigError as exc:
        return fail(prog, str(exc), 2)
    rows = [
        {
            "key": f"{section}.{key}",
            "value": value,
            "from": resolved.sources.get(f"{section}.{key}", "default"),
            "help": schema[section][key].help,
        }
        for section, options in sorted(resolved.options.items())
        for key, value in options.items()
    ]
    out = Output(args.json)
    out.emit(
        {"files": [str(f) for f in resolved.files], "options": rows},
        lambda console: console.print(
            out.table(
                f"configuration (files: {', '.join(map(str, resolved.files)) or 'none'})",
                ("key", "value", "from"),
                ((r["key"], r["value"], r["from"]) for r in rows),
            )
        ),
    )
    return 0

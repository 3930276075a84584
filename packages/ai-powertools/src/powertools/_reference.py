"""The configuration reference page, generated from the components' declared options.

``python -m powertools._reference > docs/stack/configuration.md`` writes it; a test checks
that the page in the docs is what this prints, so the reference cannot drift from the code.

>>> page = reference()
>>> "| `budget_usd_per_month` | decimal |" in page
True
"""

from __future__ import annotations

from powertools._components import Discovery, discover

__all__ = ["reference"]

_HEAD = """# Configuration reference

Generated from the options each component declares through its `powertools.components`
entry point (`python -m powertools._reference`); do not edit by hand.

`powertools.Stack.from_config()` reads, the first that sets a key winning:

1. `Stack.from_config(overrides={"cost": {...}})`;
2. environment variables `POWERTOOLS_<SECTION>_<KEY>`, e.g.
   `POWERTOOLS_COST_BUDGET_USD_PER_MONTH=50` (lists comma-separated, booleans `true`/`false`);
3. `powertools.toml` (or the file `$POWERTOOLS_CONFIG` names), one `[section]` per component;
4. `[tool.powertools.<section>]` in `pyproject.toml`;
5. the defaults below.

An unknown section or key, or a value of the wrong type, stops the build with a
`StackConfigError` naming the key, where it was set, and what it should be.
`powertools config` shows every resolved value and where it came from.
"""


def _default(value: object) -> str:
    return "none" if value is None else f"`{value!r}`"


def reference(found: Discovery | None = None) -> str:
    """The Markdown page for the components installed here."""
    found = found or discover()
    lines = [_HEAD]
    for name in sorted(found.components):
        info = found.components[name]
        if not info.options:
            continue
        lines += [
            f"## `[{name}]` ({info.distribution})",
            "",
            "| key | type | default | environment variable | meaning |",
            "|---|---|---|---|---|",
        ]
        for key, option in info.options.items():
            variable = f"`POWERTOOLS_{name.upper()}_{key.upper()}`"
            lines.append(
                f"| `{key}` | {option.type} | {_default(option.default)} | {variable} | "
                f"{option.help} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(reference(), end="")

"""The components, found through the ``powertools.components`` entry points.

An entry point of that group names an object (usually a component's ``_stack`` module) with
these attributes, all optional but ``NAME``; components need not import this package:

- ``NAME``: the component's name (``"cost"``), also its configuration section;
- ``EXPORTS``: ``{"CostTracker": "powertools.cost:CostTracker", ...}``, the top-level names;
- ``COMMANDS``: ``{"costs": ("help line", "module:function"), ...}``; the function is
  ``main(argv, *, prog) -> int``;
- ``OPTIONS``: ``{"budget_usd_per_month": ("decimal", None, "help"), ...}``: its configuration
  keys, each ``(type, default, help)`` with type one of ``str``, ``int``, ``float``,
  ``decimal``, ``bool``, ``list``;
- ``AFTER``: names of the components whose built objects ``build`` needs;
- ``build(options, parts) -> object``: the component's part of a :class:`powertools.Stack`,
  given its validated options and the parts already built (by component name).

A third-party component joins the same way. An entry point that fails to load is reported
(:attr:`Discovery.failures`) and the others still work.

>>> found = discover()
>>> sorted(found.components)[:2]
['cost', 'logging']
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from typing import Any

__all__ = [
    "GROUP",
    "Command",
    "ComponentInfo",
    "Discovery",
    "Failure",
    "component",
    "discover",
    "forget",
    "installed_names",
    "load_target",
]

GROUP = "powertools.components"
OPTION_TYPES = frozenset({"str", "int", "float", "decimal", "bool", "list"})


@dataclass(slots=True, frozen=True)
class Command:
    """A ``powertools`` subcommand contributed by a component."""

    name: str
    help: str
    target: str
    component: str

    def load(self) -> Callable[..., int]:
        """The command's ``main(argv, *, prog)``."""
        run: Callable[..., int] = load_target(self.target)
        return run


@dataclass(slots=True, frozen=True)
class Option:
    """One configuration key of a component's section."""

    type: str
    default: Any
    help: str


@dataclass(slots=True, frozen=True)
class ComponentInfo:
    """One component as its entry point describes it."""

    name: str
    distribution: str
    version: str
    exports: Mapping[str, str]
    commands: tuple[Command, ...]
    options: Mapping[str, Option]
    after: tuple[str, ...]
    build: Callable[[Mapping[str, Any], Mapping[str, Any]], Any] | None


@dataclass(slots=True, frozen=True)
class Failure:
    """An entry point that could not be loaded, and why."""

    name: str
    target: str
    distribution: str
    error: str

    def line(self) -> str:
        """One readable line for ``powertools info`` and the demo."""
        return (
            f"component {self.name!r} ({self.distribution}, {self.target}) failed to load: "
            f"{self.error}; reinstall it: pip install --force-reinstall {self.distribution}"
        )


@dataclass(slots=True)
class Discovery:
    """What the ``powertools.components`` group holds here."""

    components: dict[str, ComponentInfo] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)

    def commands(self) -> dict[str, Command]:
        """Every contributed command by name (a later duplicate is ignored)."""
        found: dict[str, Command] = {}
        for name in sorted(self.components):
            for command in self.components[name].commands:
                found.setdefault(command.name, command)
        return found

    def export(self, name: str) -> str | None:
        """The ``module:attr`` target of a top-level name, if a component exports it."""
        for info in self.components.values():
            if name in info.exports:
                return info.exports[name]
        return None


def load_target(target: str) -> Any:
    """The object a ``module:attr`` string names.

    >>> load_target("powertools._components:GROUP")
    'powertools.components'
    """
    module, _, attr = target.partition(":")
    value: Any = importlib.import_module(module)
    for part in filter(None, attr.split(".")):
        value = getattr(value, part)
    return value


def _options(raw: Mapping[str, Any], name: str) -> dict[str, Option]:
    options: dict[str, Option] = {}
    for key, spec in raw.items():
        kind, default, text = spec
        if kind not in OPTION_TYPES:
            raise TypeError(
                f"component {name!r} declares option {key!r} of unknown type {kind!r}; "
                f"use one of {sorted(OPTION_TYPES)}"
            )
        options[key] = Option(kind, default, text)
    return options


def _info(entry: metadata.EntryPoint, hook: Any) -> ComponentInfo:
    name = str(getattr(hook, "NAME", entry.name))
    dist = entry.dist
    commands = tuple(
        Command(command, text, target, name)
        for command, (text, target) in dict(getattr(hook, "COMMANDS", {})).items()
    )
    return ComponentInfo(
        name=name,
        distribution=dist.name if dist else "?",
        version=dist.version if dist else str(getattr(hook, "__version__", "?")),
        exports=dict(getattr(hook, "EXPORTS", {})),
        commands=commands,
        options=_options(dict(getattr(hook, "OPTIONS", {})), name),
        after=tuple(getattr(hook, "AFTER", ())),
        build=getattr(hook, "build", None),
    )


def _load(entry: metadata.EntryPoint) -> ComponentInfo | Failure:
    try:
        return _info(entry, entry.load())
    except Exception as exc:
        dist = entry.dist.name if entry.dist else "?"
        return Failure(entry.name, entry.value, dist, f"{type(exc).__name__}: {exc}")


def discover(entries: tuple[metadata.EntryPoint, ...] | None = None) -> Discovery:
    """Load every ``powertools.components`` entry point (the installed ones when not given)."""
    found = Discovery()
    if entries is None:
        loaded = [_load_installed(name) for name in installed_names()]
    else:
        loaded = [_load(entry) for entry in sorted(entries, key=lambda e: e.name)]
    for item in loaded:
        if isinstance(item, Failure):
            found.failures.append(item)
        elif item is not None:
            found.components[item.name] = item
    return found


@cache
def _installed() -> dict[str, metadata.EntryPoint]:
    return {entry.name: entry for entry in metadata.entry_points(group=GROUP)}


def installed_names() -> list[str]:
    """The names of the installed components' entry points, without loading them."""
    return sorted(_installed())


@cache
def _load_installed(name: str) -> ComponentInfo | Failure | None:
    entry = _installed().get(name)
    return None if entry is None else _load(entry)


def component(name: str) -> ComponentInfo | Failure | None:
    """One installed component by entry-point name, loaded once; None when not installed."""
    return _load_installed(name)


def forget() -> None:
    """Drop what was discovered (after installing or removing a component in-process)."""
    _installed.cache_clear()
    _load_installed.cache_clear()

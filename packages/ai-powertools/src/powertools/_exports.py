"""The table of top-level names: which module defines each, and which distribution ships it.

Each component is imported only when one of its names is first used, so that
``import powertools`` costs nothing and a missing distribution is reported by name.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

__all__ = ["EXPORTS", "MissingComponentError", "resolve"]


class Export(NamedTuple):
    """Where a top-level name lives."""

    module: str
    distribution: str


def _table(module: str, distribution: str, *names: str) -> dict[str, Export]:
    return dict.fromkeys(names, Export(module, distribution))


EXPORTS: dict[str, Export] = {
    **_table("powertools.router", "powertools-router", "LLMRouter"),
    **_table("powertools.cost", "powertools-cost", "CostTracker", "BudgetManager"),
    **_table("powertools.session", "powertools-session", "Session"),
    **_table(
        "powertools.ratelimit", "powertools-ratelimit", "RateLimiter", "QuotaManager", "rate_limit"
    ),
    **_table("powertools.retry", "powertools-retry", "ErrorHandler", "retry", "circuit_breaker"),
    **_table("powertools.logging", "powertools-logging", "StructuredLogger"),
}


class MissingComponentError(ImportError):
    """A top-level name whose distribution is not installed, or does not provide it yet."""


def _target(name: str) -> tuple[str, Export | None]:
    """The ``module:attr`` a component's entry point gives for ``name``, or why there is none."""
    _components = importlib.import_module("powertools._components")

    export = EXPORTS.get(name)
    candidates = [export.module.rsplit(".", 1)[-1]] if export else []
    candidates += [n for n in _components.installed_names() if n not in candidates]
    for component in candidates:
        info = _components.component(component)
        if isinstance(info, _components.Failure):
            if export is not None and component == candidates[0]:
                raise MissingComponentError(f"powertools.{name}: {info.line()}", name=export.module)
            continue
        if info is not None and name in info.exports:
            return info.exports[name], export
    if export is None:
        raise AttributeError(f"module 'powertools' has no attribute {name!r}")
    return f"{export.module}:{name}", export


def resolve(name: str) -> Any:
    """Import the component that exports ``name`` (through its entry point) and return it.

    The names come from each component's ``powertools.components`` entry point; the table
    above only says which distribution to install when a spec name's component is missing.

    >>> resolve("nope")
    Traceback (most recent call last):
    ...
    AttributeError: module 'powertools' has no attribute 'nope'
    """
    if name.startswith("_"):  # private submodules are imported, never looked up here
        raise AttributeError(f"module 'powertools' has no attribute {name!r}")
    target, export = _target(name)
    module_name, _, attr = target.partition(":")
    distribution = export.distribution if export else module_name
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and not module_name.startswith(exc.name):
            raise  # the component is there, but one of its own dependencies is missing
        raise MissingComponentError(
            f"powertools.{name} needs the {distribution} distribution, which is not "
            f"installed: pip install {distribution}",
            name=module_name,
        ) from exc
    if module_name == f"powertools.{attr}" and callable(module) and hasattr(module, attr):
        # `retry` is also a submodule's name, and importing it bound the module here. Keep the
        # module (callable as the decorator): the function would hide powertools.retry.<names>.
        return module
    try:
        return getattr(module, attr)
    except AttributeError:
        version = getattr(module, "__version__", "unknown")
        raise MissingComponentError(
            f"powertools.{name} is not provided by the installed {distribution} "
            f"{version}; upgrade it: pip install -U {distribution}",
            name=module_name,
        ) from None

"""The table of top-level names: which module defines each, and which distribution ships it.

Each component is imported only when one of its names is first used, so that
``import powertools`` costs nothing and a missing distribution is reported by name.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

__all__ = ["EXPORTS", "MissingComponentError", "resolve"]


@dataclass(slots=True, frozen=True)
class Export:
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


def resolve(name: str) -> Any:
    """Import the component that defines ``name`` and return the object.

    >>> resolve("nope")
    Traceback (most recent call last):
    ...
    AttributeError: module 'powertools' has no attribute 'nope'
    """
    export = EXPORTS.get(name)
    if export is None:
        raise AttributeError(f"module 'powertools' has no attribute {name!r}")
    try:
        module = importlib.import_module(export.module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and not export.module.startswith(exc.name):
            raise  # the component is there, but one of its own dependencies is missing
        raise MissingComponentError(
            f"powertools.{name} needs the {export.distribution} distribution, which is not "
            f"installed: pip install {export.distribution}",
            name=export.module,
        ) from exc
    if export.module == f"powertools.{name}" and callable(module) and hasattr(module, name):
        # `retry` is also a submodule's name, and importing it bound the module here. Keep the
        # module (callable as the decorator): the function would hide powertools.retry.<names>.
        return module
    try:
        return getattr(module, name)
    except AttributeError:
        version = getattr(module, "__version__", "unknown")
        raise MissingComponentError(
            f"powertools.{name} is not provided by the installed {export.distribution} "
            f"{version}; upgrade it: pip install -U {export.distribution}",
            name=export.module,
        ) from None

"""Find providers through the ``powertools.router.providers`` entry-point group.

>>> "simulated" in available_providers()
True
"""

from __future__ import annotations

from functools import cache
from typing import Any

from powertools.router.errors import RouterError, UnknownProviderError
from powertools.router.providers._base import Provider

__all__ = ["GROUP", "available_providers", "load_provider"]

GROUP = "powertools.router.providers"


@cache
def _entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=GROUP)}


def available_providers() -> list[str]:
    """The names of every registered provider family, sorted."""
    return sorted(_entry_points())


def load_provider(name: str, **options: Any) -> Provider:
    """Create the provider registered as ``name`` with its options (keys, base URL, ...).

    A family whose module fails to import is reported with its name and the cause, and does
    not affect the others.
    """
    entry = _entry_points().get(name)
    if entry is None:
        known = ", ".join(available_providers()) or "none"
        raise UnknownProviderError(
            f"no provider named {name!r} is registered (known: {known}); install the package "
            f"that provides it, or register it under the entry-point group {GROUP!r}"
        )
    try:
        factory = entry.load()
    except Exception as exc:
        raise RouterError(f"provider {name!r} ({entry.value}) failed to load: {exc}") from exc
    provider: Provider = factory(**options)
    return provider

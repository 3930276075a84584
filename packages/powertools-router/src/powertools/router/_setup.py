"""Which providers a router uses, and why: keys, local servers, or the simulated models.

The rules (also in ``docs/router/index.md``):

* provider objects given in ``providers=`` are always used;
* each family named in ``cloud_providers`` is used when its key variable is set
  (``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``, ``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``) and it
  loads; otherwise it is skipped with one log line, and ``describe()`` says why. With
  ``cloud_providers=None`` every family whose key is set is used;
* local servers (Ollama, llama.cpp) are used when they answer their health check; with
  ``local_models`` only those models of theirs are candidates;
* when nothing real is usable, the router says so once (a warning in the log, and in
  ``describe()``) and routes to the simulated models, with a simulated stand-in for each name in
  ``local_models``. It never mixes simulated stand-ins with real providers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from powertools.router.providers._base import ModelInfo, Provider
from powertools.router.providers._registry import load_provider

if TYPE_CHECKING:
    from powertools.router._local import LocalModelManager
    from powertools.router.providers.simulated import SimulatedModel

__all__ = ["KEY_VARIABLES", "LOCAL_FAMILIES", "Setup", "key_fingerprint", "resolve"]

log = logging.getLogger("powertools.router")

KEY_VARIABLES: dict[str, tuple[str, ...]] = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
}
LOCAL_FAMILIES = ("ollama", "llamacpp")
_HEALTH_TIMEOUT = 2.0
_said_simulated = False


@dataclass(slots=True)
class Setup:
    """The providers chosen, one note per family considered, and whether it is simulated."""

    providers: list[Provider] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    simulated: bool = False
    local_models: tuple[str, ...] | None = None
    local: LocalModelManager | None = None
    """The manager of the local servers found (their health and cached model lists)."""


async def models_of(setup: Setup | None, provider: Provider) -> list[ModelInfo]:
    """A provider's models: the local manager's discovery for a local server, else its own."""
    local = setup.local if setup is not None else None
    if local is not None and any(p is provider for p in local.providers):
        return list(local.state(provider).models)
    return list(await provider.models())


def key_fingerprint(family: str) -> str:
    """A digest of the family's key variables (to notice a changed key), never the key."""
    import hashlib

    values = "\0".join(os.environ.get(v, "") for v in KEY_VARIABLES.get(family, ()))
    return hashlib.sha256(values.encode()).hexdigest()[:16]


def _cloud(names: Sequence[str], setup: Setup) -> None:
    for name in names:
        variables = KEY_VARIABLES.get(name)
        if variables and not any(os.environ.get(v) for v in variables):
            setup.notes.append(f"{name}: skipped, no {' or '.join(variables)} is set")
            continue
        try:
            setup.providers.append(load_provider(name))
        except Exception as exc:
            setup.notes.append(f"{name}: skipped, {exc}")
            continue
        setup.notes.append(f"{name}: used")


async def _local(setup: Setup, *, quiet: bool) -> None:
    """The local servers that answer, found by the one discovery path: LocalModelManager."""
    from powertools.router._local import LocalModelManager

    found: list[Provider] = []
    for family in LOCAL_FAMILIES:
        try:
            found.append(load_provider(family))
        except Exception as exc:
            if not quiet:
                setup.notes.append(f"{family}: not available ({exc})")
    if not found:
        return
    manager = LocalModelManager(found)
    await manager.check()
    await manager.discover()  # a server whose model list fails is marked down here
    for provider, state in zip(found, manager.states(), strict=True):
        if not state.up:
            detail = state.health.detail or state.health.status.value
            setup.notes.append(f"{provider.name}: no server answering ({detail})")
            await provider.aclose()
            continue
        setup.providers.append(provider)
        setup.notes.append(f"{provider.name}: used")
    manager.providers = [p for p in found if manager.state(p).up]
    setup.local = manager


def _simulated(setup: Setup, local_models: Sequence[str] | None, seed: int | None) -> None:
    from powertools.router.providers.simulated import (
        DEFAULT_MODELS,
        SimulatedProvider,
        local_stand_in,
    )

    models: list[SimulatedModel] = list(DEFAULT_MODELS)
    known = {m.id for m in models}
    models += [local_stand_in(m) for m in local_models or () if m not in known]
    setup.providers.append(SimulatedProvider(models, seed=seed))
    setup.simulated = True
    message = (
        "no real provider is usable (no API keys set, no local server answering): routing "
        "to the simulated models. Set OPENAI_API_KEY / ANTHROPIC_API_KEY / GEMINI_API_KEY, or "
        "start Ollama or llama.cpp, to route to real models."
    )
    setup.notes.append(message)
    global _said_simulated  # noqa: PLW0603  (say it once per process, not once per router)
    if not _said_simulated:
        _said_simulated = True
        log.warning("powertools.router: %s", message)


async def resolve(
    *,
    providers: Sequence[Provider],
    local_models: Sequence[str] | None,
    cloud_providers: Sequence[str] | None,
    seed: int | None,
) -> Setup:
    """Choose the providers (see the module docstring)."""
    setup = Setup(list(providers), local_models=tuple(local_models) if local_models else None)
    auto = cloud_providers is None
    names = [f for f in KEY_VARIABLES if any(os.environ.get(v) for v in KEY_VARIABLES[f])]
    _cloud(names if auto else [n for n in cloud_providers or () if n != "simulated"], setup)
    if cloud_providers is not None and "simulated" in cloud_providers:
        from powertools.router.providers.simulated import SimulatedProvider

        setup.providers.append(SimulatedProvider(seed=seed))
        setup.notes.append("simulated: used (asked for)")
    await _local(setup, quiet=auto and local_models is None)
    for note in setup.notes:
        if "skipped" in note or "no server" in note:
            log.info("powertools.router: %s", note)
    if not setup.providers:
        _simulated(setup, local_models, seed)
    return setup

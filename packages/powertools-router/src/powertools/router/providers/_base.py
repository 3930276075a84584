"""The seam every provider implements: four async methods, in the spirit of httpx's transports.

A provider is any object with :meth:`~Provider.complete`, :meth:`~Provider.stream`,
:meth:`~Provider.models` and :meth:`~Provider.health` (and :meth:`~Provider.aclose`). The built-in
families register under the entry-point group ``powertools.router.providers`` exactly as a
third-party one does::

    [project.entry-points."powertools.router.providers"]
    mycloud = "mypackage.mycloud:MyCloudProvider"

Failures are raised as :class:`~powertools.router.errors.ProviderError`, never returned as an
empty answer.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from powertools.router._request import Chunk, Request, Response

__all__ = ["Capabilities", "Health", "HealthStatus", "ModelInfo", "Provider"]


@dataclass(slots=True, frozen=True)
class Capabilities:
    """What a model can do beyond plain text."""

    tools: bool = False
    vision: bool = False
    json_schema: bool = False
    reasoning: bool = False


@dataclass(slots=True, frozen=True)
class ModelInfo:
    """A model a provider serves, as far as the provider tells.

    ``None`` means "the provider did not say"; the router's catalogue fills the gaps from
    ``powertools.cost``'s price data and its own priors. For a local model, ``loaded`` says
    whether it is in memory now (a model that is not will pay a cold start).
    """

    id: str
    provider: str
    local: bool = False
    context_window: int | None = None
    max_output: int | None = None
    capabilities: Capabilities = field(default_factory=Capabilities)
    size_bytes: int | None = None
    parameter_count: int | None = None
    quantization: str | None = None
    family: str | None = None
    loaded: bool | None = None
    ttft: float | None = None
    """Typical seconds to the first token, when the provider knows (the simulated ones do)."""
    tokens_per_second: float | None = None
    """Typical generation speed, when the provider knows."""


class HealthStatus(enum.StrEnum):
    """The state of a provider's endpoint."""

    OK = "ok"
    LOADING = "loading"  # up, but not ready yet (a llama.cpp server loading its model)
    DOWN = "down"


@dataclass(slots=True, frozen=True)
class Health:
    """The answer of one health check; ``latency`` is how long the check took, in seconds."""

    status: HealthStatus
    latency: float | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Whether calls can be sent now."""
        return self.status is HealthStatus.OK


@runtime_checkable
class Provider(Protocol):
    """One LLM source: a cloud API, a local server, or the simulated family."""

    name: str
    """The family's registered name (``"openai"``, ``"ollama"``, ...)."""

    local: bool
    """Whether the models run on the user's own machines (no per-token price)."""

    async def complete(self, request: Request) -> Response:
        """Send one request and return the whole answer."""
        ...

    def stream(self, request: Request) -> AsyncIterator[Chunk]:
        """Send one request and yield its text as it arrives, ending with a ``done`` chunk."""
        ...

    async def models(self) -> list[ModelInfo]:
        """The models this provider serves now."""
        ...

    async def health(self) -> Health:
        """A cheap check of the endpoint, with a short timeout; never raises."""
        ...

    async def aclose(self) -> None:
        """Release pooled connections."""
        ...

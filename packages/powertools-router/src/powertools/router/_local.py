"""The local model manager: which Ollama and llama.cpp servers answer, and what they serve.

It watches a list of local providers (by default the Ollama server of ``OLLAMA_HOST`` and the
llama.cpp server of ``LLAMACPP_BASE_URL``), checks their health concurrently with short
timeouts, caches each server's models for ``ttl`` seconds, and notices a server going away and
coming back while the program runs: :meth:`LocalModelManager.run` checks every
``health_interval`` seconds, and a server that comes back is asked for its models again.

>>> import asyncio
>>> from powertools.router.testing import FakeProviderServer
>>> from powertools.router.providers.ollama import OllamaProvider
>>> async def main():
...     async with FakeProviderServer() as server:
...         manager = LocalModelManager([OllamaProvider(base_url=server.base_url("ollama"))])
...         await manager.check()
...         return [(m.id, m.context_window, m.quantization) for m in await manager.discover()]
>>> asyncio.run(main())
[('llama3.2:3b', 131072, 'Q4_K_M'), ('qwen2.5-coder:7b', 32768, 'Q4_K_M')]
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace

from powertools.router.errors import ConfigurationError, ProviderError
from powertools.router.providers._base import Health, HealthStatus, ModelInfo, Provider

__all__ = ["LocalModelManager", "ServerState", "default_local_providers"]

log = logging.getLogger("powertools.router.local")

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(slots=True, frozen=True)
class ServerState:
    """What the manager knows of one server.

    ``since`` is when the server entered its current status (on the manager's clock);
    ``models`` is its last discovery, kept for ``ttl`` seconds after ``discovered_at``.
    """

    key: str
    health: Health
    since: float
    checked_at: float | None = None
    models: tuple[ModelInfo, ...] = ()
    discovered_at: float | None = None

    @property
    def up(self) -> bool:
        """Whether the server answers calls now."""
        return self.health.status is HealthStatus.OK


def _key(provider: Provider) -> str:
    return f"{provider.name} {getattr(provider, 'base_url', '')}".strip()


def default_local_providers(health_timeout: float = 1.0) -> list[Provider]:
    """The Ollama server of ``OLLAMA_HOST`` and the llama.cpp server of ``LLAMACPP_BASE_URL``."""
    from powertools.router.providers.llamacpp import LlamaCppProvider
    from powertools.router.providers.ollama import OllamaProvider

    return [
        OllamaProvider(health_timeout=health_timeout),
        LlamaCppProvider(health_timeout=health_timeout),
    ]


class LocalModelManager:
    """Discovery and health of local model servers; see the module docstring."""

    def __init__(
        self,
        providers: Sequence[Provider] | None = None,
        *,
        ttl: float = 60.0,
        health_interval: float = 5.0,
        clock: Clock = time.monotonic,
    ) -> None:
        if ttl < 0 or health_interval <= 0:
            raise ConfigurationError(
                f"ttl={ttl} must be >= 0 and health_interval={health_interval} > 0 seconds"
            )
        self.providers = list(providers) if providers is not None else default_local_providers()
        self.ttl = ttl
        self.health_interval = health_interval
        self._clock = clock
        now = clock()
        unknown = Health(HealthStatus.DOWN, None, "not checked yet")
        self._states = {_key(p): ServerState(_key(p), unknown, now) for p in self.providers}
        self._lock = asyncio.Lock()

    def states(self) -> list[ServerState]:
        """The state of every server, in the order given."""
        return [self._states[_key(p)] for p in self.providers]

    def state(self, provider: Provider) -> ServerState:
        """The state of one server."""
        return self._states[_key(provider)]

    async def _check_one(self, provider: Provider) -> None:
        try:
            health = await provider.health()
        except Exception as exc:  # a third-party provider whose health() raised
            health = Health(HealthStatus.DOWN, None, f"{type(exc).__name__}: {exc}")
        now = self._clock()
        old = self._states[_key(provider)]
        state = replace(old, health=health, checked_at=now)
        if health.status is not old.health.status:
            state = replace(state, since=now)
            self._log_change(old, health)
            if old.health.status is not HealthStatus.OK:
                state = replace(state, discovered_at=None)  # back: its models may have changed
        self._states[state.key] = state

    def _log_change(self, old: ServerState, health: Health) -> None:
        if old.checked_at is None:
            log.info("local server %s is %s %s", old.key, health.status.value, health.detail)
        else:
            log.warning(
                "local server %s went from %s to %s %s",
                old.key,
                old.health.status.value,
                health.status.value,
                health.detail,
            )

    async def check(self) -> list[ServerState]:
        """Check every server's health at once (each with its provider's short timeout)."""
        await asyncio.gather(*(self._check_one(p) for p in self.providers))
        return self.states()

    async def _discover_one(self, provider: Provider, force: bool) -> tuple[ModelInfo, ...]:
        state = self._states[_key(provider)]
        if not state.up:
            return ()
        fresh = state.discovered_at is not None and self._clock() - state.discovered_at < self.ttl
        if fresh and not force:
            return state.models
        try:
            models = tuple(await provider.models())
        except ProviderError as exc:
            log.warning("local server %s: discovery failed: %s", state.key, exc)
            self._states[state.key] = replace(
                state, health=Health(HealthStatus.DOWN, None, exc.message), since=self._clock()
            )
            return ()
        self._states[state.key] = replace(state, models=models, discovered_at=self._clock())
        return models

    async def discover(self, *, force: bool = False) -> list[ModelInfo]:
        """The models of every server that is up; cached for ``ttl`` seconds unless ``force``."""
        async with self._lock:
            found = await asyncio.gather(*(self._discover_one(p, force) for p in self.providers))
        return [m for models in found for m in models]

    def available(self) -> list[ModelInfo]:
        """The cached models of the servers that are up now (no I/O)."""
        return [m for s in self.states() if s.up for m in s.models]

    async def run(self, *, sleep: Sleep = asyncio.sleep, rounds: int | None = None) -> None:
        """Check health every ``health_interval`` seconds (and rediscover what came back).

        Runs until cancelled, or for ``rounds`` rounds; start it with ``asyncio.create_task``.
        """
        done = 0
        while rounds is None or done < rounds:
            await self.check()
            await self.discover()
            done += 1
            await sleep(self.health_interval)

    async def aclose(self) -> None:
        """Close every provider's connections."""
        await asyncio.gather(*(p.aclose() for p in self.providers))

"""The local model manager: discovery with a TTL, concurrent health, a server leaving, returning."""

from __future__ import annotations

import asyncio

import pytest

from powertools.router import ConfigurationError, HealthStatus, LocalModelManager
from powertools.router.providers._base import Health, ModelInfo
from powertools.router.providers.llamacpp import LlamaCppProvider
from powertools.router.providers.ollama import OllamaProvider
from powertools.router.testing import FakeClock, FakeProviderServer


def manager_for(server: FakeProviderServer, clock: FakeClock, **options) -> LocalModelManager:
    providers = [
        OllamaProvider(base_url=server.base_url("ollama"), health_timeout=1.0),
        LlamaCppProvider(base_url=server.base_url("llamacpp"), health_timeout=1.0),
    ]
    return LocalModelManager(providers, clock=clock, **options)


async def test_discovers_both_servers_with_their_facts(fake_server) -> None:
    manager = manager_for(fake_server, FakeClock())
    await manager.check()
    models = {m.id: m for m in await manager.discover()}
    assert set(models) == {"llama3.2:3b", "qwen2.5-coder:7b", "fake-model.gguf"}
    assert models["fake-model.gguf"].context_window == 4096
    assert models["llama3.2:3b"].context_window == 131072
    assert all(m.local for m in models.values())


async def test_discovery_is_cached_for_the_ttl(fake_server) -> None:
    clock = FakeClock()
    manager = manager_for(fake_server, clock, ttl=60)
    await manager.check()
    await manager.discover()
    asked = len(fake_server.requests)
    await manager.discover()
    assert len(fake_server.requests) == asked  # served from the cache
    fake_server.ollama_models.append("phi4:14b")
    clock.advance(61)
    models = [m.id for m in await manager.discover()]
    assert "phi4:14b" in models
    assert len(fake_server.requests) > asked


async def test_a_server_that_goes_away_is_down_and_comes_back_by_itself() -> None:
    clock = FakeClock()
    server = await FakeProviderServer().start()
    port = server.port
    manager = manager_for(server, clock, health_interval=5)
    try:
        await manager.check()
        await manager.discover()
        assert [s.up for s in manager.states()] == [True, True]
        await server.stop()
        clock.advance(5)
        await manager.check()  # the next round, one health interval later
        states = manager.states()
        assert [s.health.status for s in states] == [HealthStatus.DOWN, HealthStatus.DOWN]
        assert [s.since for s in states] == [5, 5]
        assert manager.available() == []
        assert await manager.discover() == []
        server = await FakeProviderServer(port=port).start()
        server.ollama_models.append("gemma3:1b")  # it came back with a new model
        clock.advance(5)
        await manager.check()
        assert [s.up for s in manager.states()] == [True, True]
        assert "gemma3:1b" in [m.id for m in await manager.discover()]  # rediscovered at once
    finally:
        await server.stop()


async def test_loading_is_not_down_and_not_up(fake_server) -> None:
    manager = manager_for(fake_server, FakeClock())
    fake_server.llamacpp_loading = True
    await manager.check()
    llama = manager.states()[1]
    assert llama.health.status is HealthStatus.LOADING
    assert not llama.up
    assert [m.id for m in await manager.discover()] == ["llama3.2:3b", "qwen2.5-coder:7b"]


class Slow:
    """A provider whose health check takes a while, to show the checks run at once."""

    name = "slow"
    local = True

    def __init__(self, n: int, gate: asyncio.Event, started: list[int], all_started=None) -> None:
        self.base_url = f"http://slow/{n}"
        self.n, self.gate, self.started, self.all_started = n, gate, started, all_started

    async def health(self) -> Health:
        self.started.append(self.n)
        if self.all_started is not None and len(self.started) == 5:
            self.all_started.set()
        await self.gate.wait()
        return Health(HealthStatus.OK, 0.0)

    async def models(self) -> list[ModelInfo]:
        return [ModelInfo(f"m{self.n}", "slow", local=True)]

    async def aclose(self) -> None:
        return None


async def test_health_checks_run_concurrently() -> None:
    gate, started, all_started = asyncio.Event(), [], asyncio.Event()
    slow = [Slow(i, gate, started, all_started) for i in range(5)]
    manager = LocalModelManager(slow, clock=FakeClock())
    check = asyncio.create_task(manager.check())
    await all_started.wait()  # every check started before any finished
    assert not check.done()
    gate.set()
    await check
    assert all(s.up for s in manager.states())


async def test_run_checks_every_interval() -> None:
    clock = FakeClock()
    gate, started = asyncio.Event(), []
    gate.set()
    manager = LocalModelManager([Slow(0, gate, started)], clock=clock, health_interval=7)
    await manager.run(sleep=clock.asleep, rounds=3)
    assert len(started) == 3
    assert clock.sleeps == [7, 7, 7]
    assert [m.id for m in manager.available()] == ["m0"]


async def test_a_dead_default_setup_is_down_not_an_error(monkeypatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:9")
    monkeypatch.setenv("LLAMACPP_BASE_URL", "http://127.0.0.1:9")
    manager = LocalModelManager()
    states = await manager.check()
    assert [s.health.status for s in states] == [HealthStatus.DOWN, HealthStatus.DOWN]
    assert await manager.discover() == []


async def test_the_router_s_auto_discovery_goes_through_the_local_model_manager(
    fake_server, monkeypatch
) -> None:
    from powertools.router import LLMRouter

    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OLLAMA_HOST", fake_server.base_url("ollama"))
    monkeypatch.setenv("LLAMACPP_BASE_URL", "http://127.0.0.1:9")  # nothing answers there
    async with LLMRouter(explore=0) as router:
        setup = router._setup
        assert setup is not None
        assert isinstance(setup.local, LocalModelManager)
        assert [p.name for p in setup.local.providers] == ["ollama"]
        assert not setup.simulated
        assert {c.model for c in router.candidates} == {"llama3.2:3b", "qwen2.5-coder:7b"}
        assert all(c.local for c in router.candidates)
        # the router used the manager's discovery: the model list was asked for once
        assert [r.path for r in fake_server.requests].count("/api/tags") == 1
        notes = "\n".join(setup.notes)
        assert "ollama: used" in notes
        assert "llamacpp: no server answering" in notes


def test_a_negative_ttl_or_a_health_interval_that_is_not_positive_is_refused() -> None:
    for options in ({"ttl": -1.0}, {"health_interval": 0.0}):
        with pytest.raises(ConfigurationError, match=r"ttl=.* must be >= 0 and health_interval="):
            LocalModelManager([], **options)
    assert LocalModelManager([], ttl=0).ttl == 0

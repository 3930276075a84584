"""The shared pool: one client per event loop, so providers survive several asyncio.run calls."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from powertools.retry import ErrorCategory
from powertools.router import ConfigurationError, ProviderError, Request
from powertools.router._transport import Pool, transport_name
from powertools.router.providers.openai import OpenAIProvider
from powertools.router.testing import FakeProviderServer


def test_a_provider_made_outside_a_loop_works_in_two_loops() -> None:
    server = FakeProviderServer().start_in_thread()
    try:
        provider = OpenAIProvider(base_url=server.base_url("openai"), api_key="sk-test-0000000000")
        texts = [
            asyncio.run(provider.complete(Request.of("hi", model="gpt-4o-mini"))).text
            for _ in range(2)
        ]
        assert texts == [server.answer.text] * 2
    finally:
        server.stop_thread()


async def test_one_client_per_loop_and_a_closed_one_is_replaced() -> None:
    pool = Pool()
    first = pool.client()
    assert pool.client() is first
    await pool.aclose()
    assert first.is_closed
    assert pool.client() is not first


async def test_the_pool_is_tuned_and_a_factory_can_replace_it() -> None:
    made: list[httpx.AsyncClient] = []

    def factory() -> httpx.AsyncClient:
        made.append(httpx.AsyncClient())
        return made[-1]

    pool = Pool(factory=factory)
    assert pool.client() is made[0]
    await pool.aclose()
    assert made[0].is_closed


@pytest.mark.parametrize("name", ["httpx", "aiohttp"])
async def test_the_transport_variable_chooses_the_pool(monkeypatch, fake_server, name) -> None:
    monkeypatch.setenv("POWERTOOLS_ROUTER_TRANSPORT", name)
    assert transport_name() == name
    client = Pool().client()
    kind = type(client._transport).__name__
    assert kind == ("AiohttpTransport" if name == "aiohttp" else "AsyncHTTPTransport")
    provider = OpenAIProvider(
        base_url=fake_server.base_url("openai"),
        api_key="sk-fake-secret-key-000000000000",
        client=client,
    )
    fake_server.fail("drop")  # a dropped connection is transient on both, not a timeout
    with pytest.raises(ProviderError) as caught:
        await provider.complete(Request.of("x", model="gpt-4o"))
    assert caught.value.category is ErrorCategory.TRANSIENT
    await client.aclose()


def test_a_bad_transport_name_says_what_to_set(monkeypatch) -> None:
    monkeypatch.setenv("POWERTOOLS_ROUTER_TRANSPORT", "curl")
    with pytest.raises(ConfigurationError, match="'aiohttp' or 'httpx'"):
        transport_name()


def test_a_client_is_closed_when_asyncio_run_ends() -> None:
    pool = Pool()

    async def use() -> httpx.AsyncClient:
        return pool.client()

    client = asyncio.run(use())
    assert client.is_closed


async def test_own_pool_closes_with_the_provider(fake_server) -> None:
    pool = Pool()
    provider = OpenAIProvider(
        base_url=fake_server.base_url("openai"),
        api_key="sk-fake-secret-key-000000000000",
        pool=pool,
    )
    await provider.complete(Request.of("x", model="gpt-4o"))
    client = pool.client()
    await provider.aclose()
    assert client.is_closed


@pytest.mark.parametrize("family", ["ollama", "llamacpp"])
async def test_making_the_client_is_not_part_of_a_health_check(fake_server, family) -> None:
    # The first check of a process used to pay for importing aiohttp and building the TLS
    # context inside its 2-second budget, and reported ollama down on a loaded machine.
    from powertools.router.providers.llamacpp import LlamaCppProvider
    from powertools.router.providers.ollama import OllamaProvider
    from powertools.router.testing import FakeClock

    clock = FakeClock()

    def slow_factory() -> httpx.AsyncClient:
        clock.advance(5.0)  # what a slow first import looks like to the provider's clock
        return httpx.AsyncClient()

    family_class = OllamaProvider if family == "ollama" else LlamaCppProvider
    provider = family_class(
        base_url=fake_server.base_url(family), pool=Pool(factory=slow_factory), clock=clock
    )
    health = await provider.health()
    assert health.ok
    assert health.latency is not None
    assert health.latency < 5.0
    await provider.aclose()

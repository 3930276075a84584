"""The shared pool: one client per event loop, so providers survive several asyncio.run calls."""

from __future__ import annotations

import asyncio

import httpx

from powertools.router import Request
from powertools.router._transport import DEFAULT_LIMITS, Pool
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
    assert DEFAULT_LIMITS.max_connections is not None
    assert DEFAULT_LIMITS.max_connections >= 1000


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

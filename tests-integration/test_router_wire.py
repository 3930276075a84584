"""LLMRouter over the real wire families against the fake provider server, with every fault.

The router's first choice is OpenAI's gpt-4o-mini (the cheapest that meets the bar); each fault
is injected into its call, and the route must classify it right and fail over to the next
candidate within the deadline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from powertools.router import LLMRouter, StreamInterruptedError
from powertools.router.providers.anthropic import AnthropicProvider
from powertools.router.providers.openai import OpenAIProvider
from powertools.router.testing import FakeProviderServer

KEY = "sk-fake-router-key-0000000000"


@pytest.fixture
async def server() -> AsyncIterator[FakeProviderServer]:
    async with FakeProviderServer(api_key=KEY) as fake:
        fake.reply("def add(a, b):\n    return a + b")
        yield fake


def router_for(server: FakeProviderServer, **options: object) -> LLMRouter:
    providers = [
        OpenAIProvider(base_url=server.base_url("openai"), api_key=KEY),
        AnthropicProvider(base_url=server.base_url("anthropic"), api_key=KEY),
    ]
    return LLMRouter(
        providers=providers,
        cloud_providers=[],
        explore=0,
        rate_limits=False,
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("fault", "category"),
    [
        ("rate_limit", "rate_limit"),
        ("overloaded", "rate_limit"),
        ("server_error", "transient"),
        ("bad_gateway", "transient"),
        ("unavailable", "transient"),
        ("hang", "timeout"),
        ("drop", "transient"),
        ("malformed_json", "transient"),
        ("empty_body", "transient"),
    ],
)
async def test_every_fault_is_classified_and_failed_over(
    server: FakeProviderServer, fault: str, category: str
) -> None:
    router = router_for(server, attempt_timeout=1.0, deadline=20.0)
    server.fail(fault, family="openai", retry_after=120)  # type: ignore[arg-type]
    result = await router.route(task="Write an add function", complexity=0.5)
    first, last = result.attempts[0], result.attempts[-1]
    assert (first.model, first.outcome, first.category) == ("gpt-4o-mini", "failed", category)
    assert last.outcome == "ok"
    assert last.model != "gpt-4o-mini"  # a 120 s retry-after is longer than the deadline
    assert result.text.startswith("def add")
    assert KEY not in first.reason


async def test_401_is_tried_once_and_the_provider_is_not_used_again(
    server: FakeProviderServer,
) -> None:
    router = router_for(server)
    server.fail("unauthorized", family="openai")
    first = await router.route(task="hi", complexity=0.5)
    assert first.provider == "anthropic"
    openai_calls = sum(1 for r in server.requests if r.path.startswith("/v1/chat"))
    assert openai_calls == 1
    second = await router.route(task="hi", complexity=0.5)
    assert second.provider == "anthropic"
    assert sum(1 for r in server.requests if r.path.startswith("/v1/chat")) == 1


async def test_a_short_retry_after_retries_the_same_model(server: FakeProviderServer) -> None:
    router = router_for(server)
    server.fail("rate_limit", family="openai", retry_after=0.05)
    result = await router.route(task="hi", complexity=0.5)
    assert [(a.model, a.outcome) for a in result.attempts] == [
        ("gpt-4o-mini", "failed"),
        ("gpt-4o-mini", "ok"),
    ]


async def test_a_stream_dropped_before_the_first_token_fails_over(
    server: FakeProviderServer,
) -> None:
    router = router_for(server)
    server.fail("drop", family="openai")
    stream = router.route_stream(task="hi", complexity=0.5)
    text = "".join([piece async for piece in stream])
    assert text.startswith("def add")
    assert stream.result is not None
    assert stream.result.model != "gpt-4o-mini"


async def test_a_stream_dropped_after_the_first_token_raises_with_the_partial_text(
    server: FakeProviderServer,
) -> None:
    router = router_for(server)
    server.fail("drop_mid_stream", family="openai", after_chunks=2)
    received: list[str] = []

    async def read() -> None:
        async for piece in router.route_stream(task="hi", complexity=0.5):
            received.append(piece)

    with pytest.raises(StreamInterruptedError) as caught:
        await read()
    assert caught.value.partial_text == "".join(received)
    assert received
    assert caught.value.model == "gpt-4o-mini"


async def test_usage_and_cost_come_from_the_wire(server: FakeProviderServer) -> None:
    router = router_for(server, budget_usd_per_month=1)
    result = await router.route(task="hi", complexity=0.5)
    assert result.usage.prompt_tokens > 0
    assert result.cost > 0
    assert router.stats()["openai/gpt-4o-mini"]["ok"] == 1

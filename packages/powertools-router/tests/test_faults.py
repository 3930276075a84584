"""Every fault of the fake server through every family: category, wait, delivery, no key leaked."""

from __future__ import annotations

import asyncio
import pickle

import pytest

from powertools.retry import ErrorCategory, classify, retry_after
from powertools.router import ProviderError, Request, StreamInterruptedError
from powertools.router.providers.anthropic import AnthropicProvider
from powertools.router.providers.gemini import GeminiProvider
from powertools.router.providers.llamacpp import LlamaCppProvider
from powertools.router.providers.ollama import OllamaProvider
from powertools.router.providers.openai import OpenAIProvider
from powertools.router.providers.openai_compatible import OpenAICompatibleProvider

KEY = "sk-fake-secret-key-000000000000"
FAMILIES = {
    "openai": (
        lambda s, k: OpenAIProvider(base_url=s.base_url("openai"), api_key=k),
        "gpt-4o-mini",
    ),
    "openai-compatible": (
        lambda s, k: OpenAICompatibleProvider(base_url=s.base_url("openai"), api_key=k),
        "qwen",
    ),
    "anthropic": (
        lambda s, k: AnthropicProvider(base_url=s.base_url("anthropic"), api_key=k),
        "claude-haiku-4-5",
    ),
    "gemini": (
        lambda s, k: GeminiProvider(base_url=s.base_url("gemini"), api_key=k),
        "gemini-2.5-flash",
    ),
    "ollama": (
        lambda s, k: OllamaProvider(
            base_url=s.base_url("ollama"), headers={"authorization": f"Bearer {k}"}
        ),
        "llama3.2:3b",
    ),
    "llamacpp": (lambda s, k: LlamaCppProvider(base_url=s.base_url("llamacpp"), api_key=k), "any"),
}
# fault -> (category, retry_after the family's headers or body give)
STATUS_FAULTS = {
    "rate_limit": (ErrorCategory.RATE_LIMIT, 3.0),
    "overloaded": (ErrorCategory.RATE_LIMIT, 3.0),
    "server_error": (ErrorCategory.TRANSIENT, None),
    "bad_gateway": (ErrorCategory.TRANSIENT, None),
    "unavailable": (ErrorCategory.TRANSIENT, 3.0),
    "unauthorized": (ErrorCategory.PERMANENT, None),
}
BODY_FAULTS = {
    "malformed_json": ErrorCategory.TRANSIENT,
    "empty_body": ErrorCategory.TRANSIENT,
    "drop": ErrorCategory.TRANSIENT,
    "hang": ErrorCategory.TIMEOUT,
}


async def collect(stream, seen: list[str]) -> None:
    async for chunk in stream:
        seen.append(chunk.text)


def make(server, family: str):
    factory, model = FAMILIES[family]
    return factory(server, KEY), model


def assert_no_key(error: BaseException) -> None:
    for text in (str(error), repr(error), error.message, repr(error.__dict__)):
        assert KEY not in text
    assert KEY not in repr(pickle.loads(pickle.dumps(error)).__dict__)


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("fault", sorted(STATUS_FAULTS))
async def test_status_faults_are_classified_with_their_wait(fake_server, family, fault) -> None:
    provider, model = make(fake_server, family)
    category, wait = STATUS_FAULTS[fault]
    fake_server.fail(fault, retry_after=3)
    with pytest.raises(ProviderError) as caught:
        await provider.complete(Request.of("x", model=model))
    error = caught.value
    assert error.category is category
    assert classify(error) is category
    assert error.retry_after == wait
    assert retry_after(error) == wait
    assert error.provider == provider.name
    assert error.status_code is not None
    assert_no_key(error)


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("fault", sorted(BODY_FAULTS))
async def test_broken_answers_are_errors_not_empty_answers(fake_server, family, fault) -> None:
    provider, model = make(fake_server, family)
    fake_server.fail(fault)
    async with asyncio.timeout(10):  # a guard against a hang, not a timing assertion
        with pytest.raises(ProviderError) as caught:
            await provider.complete(Request.of("x", model=model, timeout=0.3))
    assert caught.value.category is BODY_FAULTS[fault]
    assert_no_key(caught.value)


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("fault", ["hang", "stall_mid_stream"])
async def test_a_hang_in_a_stream_is_cut_at_the_attempt_timeout(fake_server, family, fault) -> None:
    provider, model = make(fake_server, family)
    fake_server.reply("one two three four five six seven")
    fake_server.fail(fault, after_chunks=5)
    seen = []
    async with asyncio.timeout(10):  # a guard against a hang, not a timing assertion
        with pytest.raises(ProviderError) as caught:
            await collect(provider.stream(Request.of("x", model=model, timeout=0.3)), seen)
    assert caught.value.category is ErrorCategory.TIMEOUT
    assert caught.value.delivered_chars == len("".join(seen))
    assert (fault == "stall_mid_stream") == bool(seen)


@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_a_stream_dropped_after_text_says_how_much_was_delivered(fake_server, family) -> None:
    provider, model = make(fake_server, family)
    fake_server.reply("one two three four five six seven")
    fake_server.fail("drop_mid_stream", after_chunks=5)
    seen = []
    with pytest.raises(StreamInterruptedError) as caught:
        await collect(provider.stream(Request.of("x", model=model)), seen)
    assert caught.value.delivered_chars == len("".join(seen)) > 0
    assert caught.value.category is ErrorCategory.TRANSIENT
    assert_no_key(caught.value)


@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_a_stream_dropped_before_text_is_invisible(fake_server, family) -> None:
    provider, model = make(fake_server, family)
    fake_server.fail("drop_mid_stream", after_chunks=0)
    with pytest.raises(ProviderError) as caught:
        async for _ in provider.stream(Request.of("x", model=model)):
            pass
    assert not isinstance(caught.value, StreamInterruptedError)
    assert caught.value.delivered_chars == 0


@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_a_stream_that_ends_without_its_final_event(fake_server, family) -> None:
    provider, model = make(fake_server, family)
    fake_server.fail("truncated_stream")
    with pytest.raises(ProviderError, match="without"):
        async for _ in provider.stream(Request.of("x", model=model)):
            pass


@pytest.mark.parametrize("family", ["openai", "openai-compatible", "anthropic", "gemini"])
async def test_a_wrong_key_is_permanent_and_never_shown(fake_server, family) -> None:
    factory, model = FAMILIES[family]
    wrong = "sk-wrong-key-that-must-not-leak-12345"
    provider = factory(fake_server, wrong)
    with pytest.raises(ProviderError) as caught:
        await provider.complete(Request.of("x", model=model))
    error = caught.value
    assert error.status_code == 401
    assert error.category is ErrorCategory.PERMANENT
    assert "***" in error.message
    assert "API key" in error.message
    for text in (str(error), repr(error), repr(provider)):
        assert wrong not in text


@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_every_family_answers_and_streams_the_same(fake_server, family) -> None:
    provider, model = make(fake_server, family)
    fake_server.reply("Four score and seven.")
    whole = await provider.complete(Request.of("x", model=model, max_tokens=3))
    chunks = [c async for c in provider.stream(Request.of("x", model=model, max_tokens=3))]
    streamed = chunks[-1].response
    assert whole.text == streamed.text == "".join(c.text for c in chunks[:-1]) == "Four score and "
    assert whole.finish_reason == streamed.finish_reason == "length"
    assert whole.usage == streamed.usage
    assert whole.usage.output == 3
    assert streamed.timings.ttft is not None


async def test_an_unreachable_server_is_transient_and_names_the_url() -> None:
    provider = OpenAIProvider(base_url="http://127.0.0.1:9/v1", api_key=KEY)
    with pytest.raises(ProviderError, match=r"127\.0\.0\.1:9") as caught:
        await provider.complete(Request.of("x", model="gpt-4o", timeout=2))
    assert caught.value.category in (ErrorCategory.TRANSIENT, ErrorCategory.TIMEOUT)
    assert_no_key(caught.value)


@pytest.mark.parametrize("family", sorted(FAMILIES))
async def test_failing_health_endpoint_is_down_and_never_raises(fake_server, family) -> None:
    provider, _ = make(fake_server, family)
    assert (await provider.health()).ok
    fake_server.fail("health_down")
    health = await provider.health()
    assert health.status == "down"
    assert KEY not in health.detail

"""The fake provider server users test against: its controls, its refusals, its command line."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import httpx
import pytest

from powertools.retry import ErrorCategory
from powertools.router import ProviderError, Request, StreamInterruptedError
from powertools.router.providers.anthropic import AnthropicProvider
from powertools.router.providers.gemini import GeminiProvider
from powertools.router.providers.ollama import OllamaProvider
from powertools.router.providers.openai import OpenAIProvider
from powertools.router.testing import FakeProviderServer

KEY = "sk-fake-secret-key-000000000000"


def openai(server: FakeProviderServer, key: str = KEY) -> OpenAIProvider:
    return OpenAIProvider(base_url=server.base_url("openai"), api_key=key)


def test_an_unknown_fault_is_refused_with_where_to_look() -> None:
    with pytest.raises(ValueError, match="unknown fault 'timeout'; see FakeProviderServer"):
        FakeProviderServer().fail("timeout")  # type: ignore[arg-type]


async def test_a_fault_for_one_family_leaves_the_others_alone(fake_server) -> None:
    fake_server.fail("server_error", family="anthropic")
    answer = await openai(fake_server).complete(Request.of("x", model="gpt-4o-mini"))
    assert answer.text == "Hello from the fake server."
    claude = AnthropicProvider(base_url=fake_server.base_url("anthropic"), api_key=KEY)
    with pytest.raises(ProviderError) as caught:
        await claude.complete(Request.of("x", model="claude-haiku-4-5"))
    assert caught.value.status_code == 500


async def test_clear_forgets_queued_faults_and_recorded_requests(fake_server) -> None:
    await openai(fake_server).complete(Request.of("x", model="gpt-4o-mini"))
    fake_server.fail("rate_limit", times=3)
    fake_server.clear()
    assert fake_server.requests == []
    await openai(fake_server).complete(Request.of("y", model="gpt-4o-mini"))
    [recorded] = fake_server.requests
    assert (recorded.family, recorded.method, recorded.path) == (
        "openai",
        "POST",
        "/v1/chat/completions",
    )
    assert recorded.body["messages"] == [{"role": "user", "content": "y"}]


async def test_a_server_that_does_not_record_keeps_no_requests() -> None:
    async with FakeProviderServer(record=False) as server:
        answer = await openai(server).complete(Request.of("x", model="gpt-4o-mini"))
        assert answer.text == "Hello from the fake server."
        assert server.requests == []


async def test_stopping_a_server_never_started_does_nothing() -> None:
    server = FakeProviderServer()
    await server.stop()
    server.stop_thread()
    assert server.requests == []


async def test_an_ollama_model_not_pulled_is_404_with_the_pull_hint(fake_server) -> None:
    ollama = OllamaProvider(base_url=fake_server.base_url("ollama"))
    with pytest.raises(ProviderError, match=r"run `ollama pull mistral:7b`") as caught:
        await ollama.complete(Request.of("x", model="mistral:7b"))
    assert caught.value.status_code == 404
    assert "mistral:7b" not in fake_server.ollama_loaded


async def test_a_stream_fault_on_a_refused_request_answers_the_refusal(fake_server) -> None:
    fake_server.fail("drop_mid_stream")
    stream = openai(fake_server, key="sk-wrong-key-111111111111").stream(
        Request.of("x", model="gpt-4o-mini")
    )
    with pytest.raises(ProviderError) as caught:
        await anext(stream)
    assert not isinstance(caught.value, StreamInterruptedError)
    assert caught.value.status_code == 401
    assert caught.value.category is ErrorCategory.PERMANENT


async def test_a_request_cut_off_mid_body_is_dropped_and_the_server_keeps_serving(
    fake_server,
) -> None:
    _, writer = await asyncio.open_connection(fake_server.host, fake_server.port)
    writer.write(b'POST /v1/chat/completions HTTP/1.1\r\ncontent-length: 100\r\n\r\n{"mod')
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    answer = await openai(fake_server).complete(Request.of("x", model="gpt-4o-mini"))
    assert answer.text == "Hello from the fake server."
    assert [r.path for r in fake_server.requests] == ["/v1/chat/completions"]


def test_the_command_line_serves_until_it_is_ended() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "powertools.router.testing", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("fake provider server on http://127.0.0.1:")
        url = line.split(" on ", 1)[1].strip()
        answer = httpx.post(
            f"{url}/v1/chat/completions",
            json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]},
        )
        assert answer.status_code == 200
        assert answer.json()["choices"][0]["message"]["content"] == "Hello from the fake server."
    finally:
        process.terminate()
        process.wait(30)


@pytest.mark.parametrize(
    ("family", "model"),
    [("openai", "gpt-4o-mini"), ("anthropic", "claude-haiku-4-5"), ("gemini", "gemini-2.5-flash")],
)
async def test_a_reply_of_only_tool_calls_and_reasoning_reaches_every_family_whole(
    fake_server, family, model
) -> None:
    make = {"openai": OpenAIProvider, "anthropic": AnthropicProvider, "gemini": GeminiProvider}
    fake_server.reply("", tool_calls=[("get_weather", {"city": "Oslo"})], reasoning="Cold north.")
    provider = make[family](base_url=fake_server.base_url(family), api_key=KEY)
    answer = await provider.complete(Request.of("Weather?", model=model))
    assert answer.text == ""
    assert answer.reasoning == "Cold north."
    [call] = answer.tool_calls
    assert (call.name, call.parsed_arguments()) == ("get_weather", {"city": "Oslo"})


async def test_an_openai_stream_without_include_usage_has_no_usage_chunk(fake_server) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{fake_server.base_url('openai')}/chat/completions",
            headers={"authorization": f"Bearer {KEY}"},
            json={"model": "gpt-4o-mini", "messages": [], "stream": True},
        )
    events = [line for line in answer.text.split("\n\n") if line]
    assert events[-1] == "data: [DONE]"
    assert all('"usage"' not in event for event in events)


@pytest.mark.parametrize(
    ("method", "family", "path", "json_body", "error"),
    [
        ("GET", "ollama", "/api/pull", None, "unknown endpoint /api/pull"),
        ("POST", "ollama", "/api/show", {"model": "phi4"}, "model 'phi4' not found"),
        ("GET", "llamacpp", "/slots", None, "File Not Found"),
        ("GET", "openai", "/files", None, "unknown endpoint /v1/files"),
    ],
)
async def test_an_endpoint_or_model_the_server_does_not_know_is_404(
    fake_server, method, family, path, json_body, error
) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.request(
            method,
            fake_server.base_url(family) + path,
            headers={"authorization": f"Bearer {KEY}"},
            json=json_body,
        )
    assert answer.status_code == 404
    assert error in answer.text

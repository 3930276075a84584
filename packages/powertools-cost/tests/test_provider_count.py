"""Exact counts through the providers' count-tokens endpoints (served by a mock transport)."""

from __future__ import annotations

import json

import httpx
import pytest

from powertools.cost import CostError
from powertools.cost.provider_count import acount_tokens_exact

MESSAGES = [{"role": "user", "content": "Hello, Claude"}, {"role": "assistant", "content": "Hi"}]


def server(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    if request.url.host == "elsewhere.test":
        return httpx.Response(403, json={"error": "bad key"})
    if request.url.path == "/v1/messages/count_tokens":
        assert request.headers["x-api-key"] == "sk-ant-secret"
        assert request.headers["anthropic-version"] == "2023-06-01"
        assert body["system"] == "be brief"
        return httpx.Response(200, json={"input_tokens": 14})
    if request.url.path == "/v1beta/models/gemini-2.5-pro:countTokens":
        assert request.headers["x-goog-api-key"] == "g-secret"
        assert [c["role"] for c in body["contents"]] == ["user", "model"]
        return httpx.Response(200, json={"totalTokens": 9})
    return httpx.Response(404)


async def test_anthropic_and_gemini_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret")
    monkeypatch.setenv("GEMINI_API_KEY", "g-secret")
    async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as client:
        claude = await acount_tokens_exact(
            MESSAGES, "claude-sonnet-4-5", client=client, system="be brief"
        )
        gemini = await acount_tokens_exact(MESSAGES, "models/gemini-2.5-pro", client=client)
    assert (claude.tokens, claude.exact, claude.method) == (14, True, "endpoint:anthropic")
    assert (gemini.tokens, gemini.method) == (9, "endpoint:gemini")


async def test_openai_models_are_counted_locally() -> None:
    count = await acount_tokens_exact(MESSAGES, "gpt-4o")
    assert count.method.startswith(("tiktoken", "estimate"))


async def test_failures_never_echo_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://elsewhere.test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret")
    async with httpx.AsyncClient(transport=httpx.MockTransport(server)) as client:
        with pytest.raises(CostError, match="answered 403") as caught:
            await acount_tokens_exact(MESSAGES, "claude-haiku-4-5", client=client)
    assert "sk-ant-secret" not in str(caught.value)
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    with pytest.raises(CostError, match="GEMINI_API_KEY or GOOGLE_API_KEY"):
        await acount_tokens_exact(MESSAGES, "gemini-2.5-flash")

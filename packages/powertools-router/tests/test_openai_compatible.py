"""OpenAI-compatible servers: presets, their variables, and never another service's key."""

from __future__ import annotations

import pytest

from powertools.router import ConfigurationError, Request
from powertools.router.providers.openai_compatible import PRESETS, OpenAICompatibleProvider


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_read_their_own_variables(monkeypatch, name) -> None:
    preset = PRESETS[name]
    monkeypatch.setenv(preset.key_variable, "key-for-" + name + "-0123456789")
    monkeypatch.delenv(preset.base_url_variable, raising=False)
    p = OpenAICompatibleProvider(preset=name)
    assert p.name == name
    assert p.base_url == preset.base_url.rstrip("/")
    assert p._headers()["authorization"] == f"Bearer key-for-{name}-0123456789"
    assert p.local is preset.local
    monkeypatch.setenv(preset.base_url_variable, "http://elsewhere:1/v1")
    assert OpenAICompatibleProvider(preset=name).base_url == "http://elsewhere:1/v1"


def test_a_hosted_preset_without_its_key_says_which_variable(monkeypatch) -> None:
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="GROQ_API_KEY"):
        OpenAICompatibleProvider(preset="groq")


def test_unknown_preset_and_missing_base_url(monkeypatch) -> None:
    with pytest.raises(ConfigurationError, match="known: deepseek"):
        OpenAICompatibleProvider(preset="nope")
    monkeypatch.delenv("OPENAI_COMPATIBLE_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="base_url"):
        OpenAICompatibleProvider()


def test_the_openai_key_is_never_sent_to_another_server(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-openai-key-0000000")
    monkeypatch.delenv("OPENAI_COMPATIBLE_API_KEY", raising=False)
    p = OpenAICompatibleProvider(base_url="http://127.0.0.1:8000/v1")
    assert "authorization" not in p._headers()


def test_compatible_bodies_use_max_tokens_and_pass_effort() -> None:
    p = OpenAICompatibleProvider(preset="vllm")
    body = p._body(
        Request.of("x", model="o3-like", max_tokens=9, reasoning_effort="low", temperature=1.0),
        True,
    )
    assert body["max_tokens"] == 9
    assert body["reasoning_effort"] == "low"
    assert body["temperature"] == 1.0
    assert body["stream_options"] == {"include_usage": True}
    mistral = OpenAICompatibleProvider(preset="mistral", api_key="m-key-0123456789")
    assert "stream_options" not in mistral._body(Request.of("x", model="mistral-small"), True)


async def test_against_the_fake_server(fake_server) -> None:
    p = OpenAICompatibleProvider(
        base_url=fake_server.base_url("openai"), api_key="sk-fake-secret-key-000000000000"
    )
    fake_server.reply("ok then")
    response = await p.complete(Request.of("x", model="qwen2.5"))
    assert response.text == "ok then"
    assert response.provider == "openai-compatible"
    assert fake_server.requests[-1].path == "/v1/chat/completions"

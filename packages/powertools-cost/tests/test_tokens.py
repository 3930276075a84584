"""Token counting: tiktoken per model, chat and tool overhead, estimates, offline fallback."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

import powertools.cost._tokens as tokens
from powertools.cost import TokenizerUnavailableWarning, count_message_tokens, count_tokens
from powertools.cost._tokens import Calibration, provider_of


def test_the_right_encoding_per_model(tiktoken_cache: Path) -> None:
    text = "Tokenizers differ: 🤖 naïve façade."
    o200k = count_tokens(text, "gpt-4o")
    cl100k = count_tokens(text, "gpt-4")
    assert (o200k.method, cl100k.method) == ("tiktoken:o200k_base", "tiktoken:cl100k_base")
    assert o200k.exact
    assert cl100k.exact
    assert o200k.tokens != cl100k.tokens
    assert count_tokens("<|endoftext|>", "gpt-5").tokens > 1  # special text is just text


def test_chat_overhead_and_tools_follow_the_cookbook(tiktoken_cache: Path) -> None:
    messages = [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "name": "ann", "content": "What is the weather in Paris?"},
    ]
    plain = count_message_tokens(messages, "gpt-4o")
    # 3 per message + 1 for a name + 3 priming the reply, plus the text's tokens
    text = sum(count_tokens(v, "gpt-4o").tokens for m in messages for v in m.values())
    assert plain.tokens == text + 2 * 3 + 1 + 3
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the weather.",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "The city."},
                    "unit": {"type": "string", "enum": ["c", "f"]},
                },
            },
        },
    }
    with_tools = count_message_tokens(messages, "gpt-4o", tools=[tool])
    enc = lambda s: count_tokens(s, "gpt-4o").tokens  # noqa: E731
    expected = 7 + enc("get_weather:Get the weather") + 3
    expected += 3 + enc("city:string:The city")
    expected += 3 - 3 + 3 + enc("c") + 3 + enc("f") + enc("unit:string:")
    assert with_tools.tokens == plain.tokens + expected + 12


def test_claude_and_gemini_are_estimates() -> None:
    claude = count_tokens("x" * 350, "claude-sonnet-4-5")
    gemini = count_message_tokens([{"role": "user", "content": "x" * 400}], "gemini-2.5-pro")
    assert (claude.exact, claude.tokens, claude.method) == (False, 100, "estimate:anthropic")
    assert (gemini.exact, gemini.method) == (False, "estimate:gemini")
    assert provider_of("mistral-large") == "other"


def test_calibration_learns_from_reported_usage() -> None:
    calibration = Calibration()
    assert calibration.observe("anthropic", 100, 0) == 0.0
    assert calibration.observe("anthropic", 100, 125) == pytest.approx(-0.2)
    assert calibration.ratio("anthropic") == pytest.approx(1.25)
    calibration.observe("anthropic", 125, 125)
    assert calibration.ratio("anthropic") == pytest.approx(1.25)


def test_offline_falls_back_to_an_estimate_with_one_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tiktoken

    def offline(name: str) -> object:
        raise ConnectionError("no network")

    monkeypatch.setattr(tiktoken, "get_encoding", offline)
    monkeypatch.setattr(tokens, "_cache", {})
    monkeypatch.setattr(tokens, "_warned", False)
    with pytest.warns(TokenizerUnavailableWarning, match="TIKTOKEN_CACHE_DIR"):
        first = count_tokens("hello world, offline", "gpt-4o")
    assert not first.exact
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not count_message_tokens([{"role": "user", "content": "hi"}], "gpt-4").exact


def test_every_part_of_a_message_is_counted_and_marked_estimated(tiktoken_cache: Path) -> None:
    """Issue 13.2: content parts, tool calls, tool results and images all cost tokens."""
    words = " ".join(["word"] * 5000)
    exact_text = count_tokens(words, "gpt-4o").tokens
    parts = count_message_tokens(
        [{"role": "user", "content": [{"type": "text", "text": words}]}], "gpt-4o"
    )
    assert parts.tokens >= exact_text
    assert not parts.exact
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "x" * 4000}}
    tool_call = count_message_tokens(
        [{"role": "assistant", "content": None, "tool_calls": [call]}], "gpt-4o"
    )
    assert tool_call.tokens >= count_tokens("x" * 4000, "gpt-4o").tokens
    assert not tool_call.exact
    result = count_message_tokens(
        [
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "t", "content": words}],
            }
        ],
        "claude-sonnet-4-5",
    )
    assert result.tokens >= 5000
    assert not result.exact


def test_images_count_at_the_providers_rate(tiktoken_cache: Path) -> None:
    def image(detail: str) -> list[dict[str, object]]:
        part = {"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": detail}}
        return [{"role": "user", "content": [part]}]

    empty = count_message_tokens([{"role": "user", "content": ""}], "gpt-4o").tokens
    assert count_message_tokens(image("low"), "gpt-4o").tokens == empty + 85
    assert count_message_tokens(image("high"), "gpt-4o").tokens == empty + 85 + 8 * 170
    assert count_message_tokens(image("low"), "gpt-4o-mini").tokens == empty + 2833
    base64 = {"type": "image", "source": {"type": "base64", "data": "QUFB" * 10_000}}
    claude = count_message_tokens([{"role": "user", "content": [base64]}], "claude-haiku-4-5")
    assert 1600 <= claude.tokens < 1700  # the image, not its base64 text
    gemini = count_message_tokens(
        [{"role": "user", "parts": [{"inline_data": {"mime_type": "image/png", "data": "QUFB"}}]}],
        "gemini-2.5-flash",
    )
    assert gemini.tokens >= 1032
    assert not gemini.exact


def test_plain_string_messages_stay_exact(tiktoken_cache: Path) -> None:
    count = count_message_tokens([{"role": "tool", "tool_call_id": "1", "content": "ok"}], "gpt-4o")
    assert count.exact
    assert count.method == "tiktoken:o200k_base"

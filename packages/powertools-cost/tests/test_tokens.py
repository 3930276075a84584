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


def gpt4o(text: str) -> int:
    return count_tokens(text, "gpt-4o").tokens


def test_values_with_no_documented_accounting_count_as_their_json_text(
    tiktoken_cache: Path,
) -> None:
    plain = count_message_tokens([{"role": "user", "content": "hi"}], "gpt-4o")
    assert plain == tokens.TokenCount(
        3 + gpt4o("user") + gpt4o("hi") + 3, True, "tiktoken:o200k_base"
    )
    extra = count_message_tokens(
        [{"role": "user", "content": "hi", "metadata": {"a": 1}}], "gpt-4o"
    )
    assert extra.tokens == plain.tokens + gpt4o('{"a": 1}')
    assert extra.method == "estimate:tiktoken:o200k_base"
    number = count_message_tokens([{"role": "user", "content": 42}], "gpt-4o")
    assert (number.tokens, number.exact) == (plain.tokens - gpt4o("hi") + gpt4o("42"), False)
    strings = count_message_tokens([{"role": "user", "content": ["hi", "hi"]}], "gpt-4o")
    assert (strings.tokens, strings.exact) == (plain.tokens + gpt4o("hi"), False)
    unknown = count_message_tokens(
        [{"role": "user", "content": [{"type": "document", "source": "abc"}]}], "gpt-4o"
    )
    assert unknown.tokens == plain.tokens - gpt4o("hi") + gpt4o('{"source": "abc"}')


def test_a_single_part_content_and_a_missing_name_are_counted_like_a_list(
    tiktoken_cache: Path,
) -> None:
    plain = count_message_tokens([{"role": "user", "content": "hi"}], "gpt-4o")
    one_part = count_message_tokens(
        [{"role": "user", "content": {"type": "text", "text": "hi"}}], "gpt-4o"
    )
    assert (one_part.tokens, one_part.exact) == (plain.tokens, False)
    unnamed = count_message_tokens([{"role": "user", "name": None, "content": "hi"}], "gpt-4o")
    assert unnamed == plain  # a None value costs nothing and keeps the count exact


def test_tool_use_parts_and_raw_tool_calls_count_their_name_and_arguments(
    tiktoken_cache: Path,
) -> None:
    base = count_message_tokens([{"role": "assistant", "content": None}], "gpt-4o").tokens
    anthropic_style = count_message_tokens(
        [
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {"q": 1}}],
            }
        ],
        "gpt-4o",
    )
    assert anthropic_style.tokens == base + 3 + gpt4o("f") + gpt4o('{"q": 1}')
    gemini_style = count_message_tokens(
        [{"role": "model", "parts": [{"functionCall": {"name": "f", "args": {"q": 1}}}]}],
        "gpt-4o",
    )
    assert gemini_style.tokens == anthropic_style.tokens - gpt4o("assistant") + gpt4o("model")
    raw = count_message_tokens(
        [{"role": "assistant", "content": None, "tool_calls": ["call f(1)"]}], "gpt-4o"
    )
    assert (raw.tokens, raw.exact) == (base + gpt4o("call f(1)"), False)


def test_a_function_without_parameters_costs_its_name_and_description(
    tiktoken_cache: Path,
) -> None:
    messages = [{"role": "user", "content": "hi"}]
    plain = count_message_tokens(messages, "gpt-4o").tokens
    tool = {"name": "ping", "description": "Ping."}  # the bare form, no "function" wrapper
    counted = count_message_tokens(messages, "gpt-4o", tools=[tool])
    assert counted.tokens == plain + 7 + gpt4o("ping:Ping") + 12
    assert counted.exact
    old = count_message_tokens(messages, "gpt-4", tools=[tool])  # cl100k: 10 per function
    gpt4 = lambda s: count_tokens(s, "gpt-4").tokens  # noqa: E731
    assert (
        old.tokens == count_message_tokens(messages, "gpt-4").tokens + 10 + gpt4("ping:Ping") + 12
    )


def test_patch_models_bill_images_by_their_multiplier(tiktoken_cache: Path) -> None:
    def image(detail: str) -> list[dict[str, object]]:
        part = {"type": "input_image", "image_url": "https://x/y.png", "detail": detail}
        return [{"role": "user", "content": [part]}]

    empty = count_message_tokens([{"role": "user", "content": ""}], "gpt-4.1-mini").tokens
    # 1,536 patches x 1.62 at full detail, 64 x 1.62 at detail low (both rounded up)
    assert count_message_tokens(image("high"), "gpt-4.1-mini").tokens == empty + 2489
    assert count_message_tokens(image("low"), "gpt-4.1-mini").tokens == empty + 104
    assert count_message_tokens(image("auto"), "gpt-5-nano").tokens == empty + 3779

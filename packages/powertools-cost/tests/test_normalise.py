"""Normalisers: each provider's usage shape to disjoint buckets; totals add up exactly."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from powertools.cost import (
    Usage,
    UsageFormatError,
    from_anthropic,
    from_gemini,
    from_llamacpp,
    from_openai,
    from_openai_responses,
    parse_response,
)

n = st.integers(min_value=0, max_value=2_000_000)


@given(n, n, n, n, n, n)
def test_openai_chat_buckets_add_up_to_total_tokens(
    uncached: int, cached: int, audio_in: int, visible: int, reasoning: int, audio_out: int
) -> None:
    prompt, completion = uncached + cached + audio_in, visible + reasoning + audio_out
    usage = from_openai(
        {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": audio_in},
            "completion_tokens_details": {
                "reasoning_tokens": reasoning,
                "audio_tokens": audio_out,
            },
        }
    )
    assert usage.total_tokens == prompt + completion
    assert usage.cache_read == cached
    assert usage.input == uncached


@given(n, n, n, n)
def test_openai_responses_buckets_add_up(uncached: int, cached: int, out: int, think: int) -> None:
    usage = from_openai_responses(
        {
            "input_tokens": uncached + cached,
            "input_tokens_details": {"cached_tokens": cached},
            "output_tokens": out + think,
            "output_tokens_details": {"reasoning_tokens": think},
            "total_tokens": uncached + cached + out + think,
        }
    )
    assert usage.total_tokens == uncached + cached + out + think


@given(n, n, n, n, n)
def test_anthropic_buckets_add_up(inp: int, read: int, five: int, hour: int, out: int) -> None:
    usage = from_anthropic(
        {
            "input_tokens": inp,
            "cache_read_input_tokens": read,
            "cache_creation_input_tokens": five + hour,
            "cache_creation": {
                "ephemeral_5m_input_tokens": five,
                "ephemeral_1h_input_tokens": hour,
            },
            "output_tokens": out,
        }
    )
    assert usage.total_tokens == inp + read + five + hour + out
    assert (usage.cache_write_5m, usage.cache_write_1h) == (five, hour)


@given(n, n, n, n, n, n)
def test_gemini_buckets_add_up(
    text: int, cached: int, audio: int, cand: int, thoughts: int, tool: int
) -> None:
    prompt = text + cached + audio
    total = prompt + cand + thoughts + tool
    usage = from_gemini(
        {
            "promptTokenCount": prompt,
            "cachedContentTokenCount": cached,
            "candidatesTokenCount": cand,
            "thoughtsTokenCount": thoughts,
            "toolUsePromptTokenCount": tool,
            "totalTokenCount": total,
            "promptTokensDetails": [{"modality": "AUDIO", "tokenCount": audio}],
        }
    )
    assert usage.total_tokens == total
    assert usage.audio_in == audio
    assert usage.cache_read == cached


def test_llamacpp_openai_usage_and_native_fields() -> None:
    assert from_llamacpp({"usage": {"prompt_tokens": 4, "completion_tokens": 2}}).total_tokens == 6
    native = from_llamacpp({"tokens_evaluated": 9, "tokens_predicted": 3})
    assert (native.input, native.output) == (9, 3)


def test_inconsistent_details_are_refused() -> None:
    with pytest.raises(UsageFormatError, match="exceed the total"):
        from_openai({"prompt_tokens": 10, "prompt_tokens_details": {"cached_tokens": 11}})
    with pytest.raises(UsageFormatError, match="non-negative int"):
        from_anthropic({"input_tokens": -1})
    with pytest.raises(UsageFormatError, match="unrecognised usage keys"):
        parse_response({"usage": {"tokens": 3}})
    with pytest.raises(UsageFormatError, match="cannot read usage"):
        parse_response(42)
    with pytest.raises(ValueError, match="non-negative int"):
        Usage(input=-1)


def test_parse_response_reads_every_provider_and_sdk_objects() -> None:
    cases: list[tuple[Any, str | None, int]] = [
        ({"model": "gpt-4o", "usage": {"prompt_tokens": 3, "completion_tokens": 4}}, "gpt-4o", 7),
        ({"model": "claude-x", "usage": {"input_tokens": 3, "output_tokens": 4}}, "claude-x", 7),
        ({"modelVersion": "gemini-2.5-pro", "usageMetadata": {"promptTokenCount": 5}},
         "gemini-2.5-pro", 5),
        ({"model": "llama3", "prompt_eval_count": 2, "eval_count": 3}, "llama3", 5),
        ({"timings": {"prompt_n": 1, "predicted_n": 1}}, None, 2),
        (Usage(output=8), None, 8),
    ]  # fmt: skip
    for response, model, total in cases:
        usage, found = parse_response(response)
        assert (found, usage.total_tokens) == (model, total)
    sdk = SimpleNamespace(
        model_dump=lambda: {
            "model": "gpt-4o",
            "usage": {"prompt_tokens": 1, "completion_tokens": 1},
        }
    )
    assert parse_response(sdk)[0].total_tokens == 2
    nested = {"usage": SimpleNamespace(model_dump=lambda: {"input_tokens": 1, "output_tokens": 1})}
    assert parse_response(nested)[0].total_tokens == 2


def test_usage_adds_and_exports() -> None:
    total = Usage(input=1, output=2) + Usage(cache_read=3)
    assert total.as_dict()["cache_read"] == 3
    assert total.completion_tokens == 2


def test_google_genai_sdk_responses_are_accepted() -> None:
    """Issue 13.7: google-genai's model_dump() is snake_case, with enum modalities."""
    import enum

    from pydantic import BaseModel

    from powertools.cost import parse_response

    class MediaModality(str, enum.Enum):  # noqa: UP042  (as google.genai.types.MediaModality)
        TEXT = "TEXT"
        AUDIO = "AUDIO"

    class ModalityTokenCount(BaseModel):
        modality: MediaModality | None = None
        token_count: int | None = None

    class UsageMetadata(BaseModel):
        prompt_token_count: int | None = None
        cached_content_token_count: int | None = None
        candidates_token_count: int | None = None
        thoughts_token_count: int | None = None
        tool_use_prompt_token_count: int | None = None
        total_token_count: int | None = None
        prompt_tokens_details: list[ModalityTokenCount] | None = None
        cache_tokens_details: list[ModalityTokenCount] | None = None

    class GenerateContentResponse(BaseModel):
        model_version: str | None = None
        usage_metadata: UsageMetadata | None = None

    response = GenerateContentResponse(
        model_version="gemini-2.5-flash",
        usage_metadata=UsageMetadata(
            prompt_token_count=1000,
            cached_content_token_count=600,
            candidates_token_count=40,
            thoughts_token_count=120,
            total_token_count=1160,
            prompt_tokens_details=[
                ModalityTokenCount(modality=MediaModality.TEXT, token_count=900),
                ModalityTokenCount(modality=MediaModality.AUDIO, token_count=100),
            ],
        ),
    )
    usage, model = parse_response(response)
    assert model == "gemini-2.5-flash"
    assert usage == Usage(input=300, cache_read=600, output=40, reasoning=120, audio_in=100)
    camel = {"usageMetadata": {"promptTokenCount": 1000, "cachedContentTokenCount": 600,
             "candidatesTokenCount": 40, "thoughtsTokenCount": 120,
             "promptTokensDetails": [{"modality": "AUDIO", "tokenCount": 100}]}}  # fmt: skip
    assert parse_response(camel)[0] == usage


@pytest.mark.parametrize("response", [SimpleNamespace(model_dump=lambda: "not a dict"), 42])
def test_an_object_that_dumps_to_no_mapping_is_refused_naming_its_type(response: Any) -> None:
    with pytest.raises(UsageFormatError, match=r"cannot read usage from a (SimpleNamespace|int)"):
        parse_response(response)

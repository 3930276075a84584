"""Normalisers: each provider's own usage shape to one :class:`Usage`.

The providers disagree on what their totals include:

* OpenAI chat: ``prompt_tokens`` includes ``cached_tokens`` and audio; ``completion_tokens``
  includes ``reasoning_tokens`` and audio.
* OpenAI responses: ``input_tokens`` includes ``cached_tokens``; ``output_tokens`` includes
  ``reasoning_tokens``.
* Anthropic: ``input_tokens`` excludes ``cache_read_input_tokens`` and
  ``cache_creation_input_tokens`` (split into 5-minute and 1-hour writes).
* Gemini: ``promptTokenCount`` includes ``cachedContentTokenCount``;
  ``thoughtsTokenCount`` and ``toolUsePromptTokenCount`` come on top.
* Ollama: ``prompt_eval_count`` and ``eval_count``; llama.cpp: ``timings`` (``prompt_n``
  new prompt tokens, ``cache_n`` reused ones, ``predicted_n``) or an OpenAI ``usage``.

Subtracting the included parts gives disjoint buckets, so a cached token is billed once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from powertools.cost._usage import Usage
from powertools.cost.errors import UsageFormatError

__all__ = [
    "from_anthropic",
    "from_gemini",
    "from_llamacpp",
    "from_ollama",
    "from_openai",
    "from_openai_responses",
    "parse_response",
]

Payload = Mapping[str, Any]


def _int(data: Payload | None, key: str) -> int:
    value = (data or {}).get(key) or 0
    if type(value) is not int or value < 0:
        raise UsageFormatError(f"usage field {key!r} must be a non-negative int, got {value!r}")
    return value


def _part(total: int, *parts: int, what: str) -> int:
    rest = total - sum(parts)
    if rest < 0:
        raise UsageFormatError(
            f"{what}: the detailed counts {parts} exceed the total {total}; "
            "pass the provider's usage object unmodified"
        )
    return rest


def from_openai(usage: Payload) -> Usage:
    """OpenAI chat-completions ``usage``.

    >>> from_openai({"prompt_tokens": 1000, "completion_tokens": 300,
    ...   "prompt_tokens_details": {"cached_tokens": 800},
    ...   "completion_tokens_details": {"reasoning_tokens": 200}})
    Usage(input=200, cache_read=800, cache_write_5m=0, cache_write_1h=0, output=100, \
reasoning=200, audio_in=0, audio_out=0, image_in=0)
    """
    prompt_details = usage.get("prompt_tokens_details")
    completion_details = usage.get("completion_tokens_details")
    cached = _int(prompt_details, "cached_tokens")
    audio_in = _int(prompt_details, "audio_tokens")
    reasoning = _int(completion_details, "reasoning_tokens")
    audio_out = _int(completion_details, "audio_tokens")
    return Usage(
        input=_part(_int(usage, "prompt_tokens"), cached, audio_in, what="prompt_tokens"),
        cache_read=cached,
        audio_in=audio_in,
        output=_part(
            _int(usage, "completion_tokens"), reasoning, audio_out, what="completion_tokens"
        ),
        reasoning=reasoning,
        audio_out=audio_out,
    )


def from_openai_responses(usage: Payload) -> Usage:
    """OpenAI responses-API ``usage``.

    >>> from_openai_responses({"input_tokens": 500, "output_tokens": 90, "total_tokens": 590,
    ...   "input_tokens_details": {"cached_tokens": 400},
    ...   "output_tokens_details": {"reasoning_tokens": 60}}).as_dict()["input"]
    100
    """
    cached = _int(usage.get("input_tokens_details"), "cached_tokens")
    reasoning = _int(usage.get("output_tokens_details"), "reasoning_tokens")
    return Usage(
        input=_part(_int(usage, "input_tokens"), cached, what="input_tokens"),
        cache_read=cached,
        output=_part(_int(usage, "output_tokens"), reasoning, what="output_tokens"),
        reasoning=reasoning,
    )


def from_anthropic(usage: Payload) -> Usage:
    """Anthropic ``usage``; cache writes without a 5m/1h split count as 5-minute writes.

    >>> from_anthropic({"input_tokens": 10, "cache_read_input_tokens": 2000,
    ...   "cache_creation_input_tokens": 300, "output_tokens": 50,
    ...   "cache_creation": {"ephemeral_5m_input_tokens": 100,
    ...                      "ephemeral_1h_input_tokens": 200}}).cache_write_1h
    200
    """
    written = _int(usage, "cache_creation_input_tokens")
    split = usage.get("cache_creation")
    one_hour = _int(split, "ephemeral_1h_input_tokens") if split else 0
    return Usage(
        input=_int(usage, "input_tokens"),
        cache_read=_int(usage, "cache_read_input_tokens"),
        cache_write_5m=_part(written, one_hour, what="cache_creation_input_tokens"),
        cache_write_1h=one_hour,
        output=_int(usage, "output_tokens"),
    )


def _modality(details: Any, modality: str) -> int:
    if not details:
        return 0
    return sum(
        _int(d, "tokenCount")
        for d in details
        if str(getattr(d.get("modality"), "value", d.get("modality"))).upper() == modality
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def camel_keys(value: Any) -> Any:
    """The google-genai SDK's snake_case ``model_dump()`` in the REST API's camelCase.

    >>> camel_keys({"prompt_token_count": 3, "prompt_tokens_details": [{"token_count": 3}]})
    {'promptTokenCount': 3, 'promptTokensDetails': [{'tokenCount': 3}]}
    """
    if isinstance(value, Mapping):
        return {_camel(str(k)): camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


def from_gemini(meta: Payload) -> Usage:
    """Gemini ``usageMetadata`` (or google-genai's snake_case ``usage_metadata``); tool-use
    prompt tokens are billed as input.

    >>> from_gemini({"promptTokenCount": 1000, "cachedContentTokenCount": 600,
    ...   "candidatesTokenCount": 40, "thoughtsTokenCount": 120,
    ...   "totalTokenCount": 1160}).input
    400
    """
    if any("_" in str(k) for k in meta):
        meta = camel_keys(meta)
    cached = _int(meta, "cachedContentTokenCount")
    audio_in = _modality(meta.get("promptTokensDetails"), "AUDIO") - _modality(
        meta.get("cacheTokensDetails"), "AUDIO"
    )
    audio_out = _modality(meta.get("candidatesTokensDetails"), "AUDIO")
    prompt = _int(meta, "promptTokenCount")
    return Usage(
        input=_part(prompt, cached, max(audio_in, 0), what="promptTokenCount")
        + _int(meta, "toolUsePromptTokenCount"),
        cache_read=cached,
        audio_in=max(audio_in, 0),
        output=_part(_int(meta, "candidatesTokenCount"), audio_out, what="candidatesTokenCount"),
        reasoning=_int(meta, "thoughtsTokenCount"),
        audio_out=audio_out,
    )


def from_ollama(response: Payload) -> Usage:
    """Ollama's ``/api/chat`` or ``/api/generate`` response (final chunk when streaming).

    >>> from_ollama({"prompt_eval_count": 26, "eval_count": 290}).total_tokens
    316
    """
    return Usage(input=_int(response, "prompt_eval_count"), output=_int(response, "eval_count"))


def from_llamacpp(response: Payload) -> Usage:
    """llama.cpp server response: ``timings`` when present, else its OpenAI ``usage``.

    >>> from_llamacpp({"timings": {"prompt_n": 5, "cache_n": 20, "predicted_n": 7}}).cache_read
    20
    """
    timings = response.get("timings")
    if timings:
        return Usage(
            input=_int(timings, "prompt_n"),
            cache_read=_int(timings, "cache_n"),
            output=_int(timings, "predicted_n"),
        )
    if "usage" in response:
        return from_openai(response["usage"])
    return Usage(
        input=_int(response, "tokens_evaluated"), output=_int(response, "tokens_predicted")
    )


def _as_mapping(response: Any) -> Payload:
    if isinstance(response, Mapping):
        return response
    dump = getattr(response, "model_dump", None)
    if callable(dump):  # the vendors' SDK objects are pydantic models
        dumped = dump()
        if isinstance(dumped, Mapping):
            return dumped
    raise UsageFormatError(
        f"cannot read usage from a {type(response).__name__}; pass a Usage, a provider "
        "response dict, or an SDK response object"
    )


def _usage_of(usage: Payload) -> Usage:
    if "prompt_tokens" in usage or "completion_tokens" in usage:
        return from_openai(usage)
    if "total_tokens" in usage and "input_tokens" in usage:
        return from_openai_responses(usage)
    if "input_tokens" in usage or "output_tokens" in usage:
        return from_anthropic(usage)
    raise UsageFormatError(f"unrecognised usage keys {sorted(usage)}")


def parse_response(response: Any) -> tuple[Usage, str | None]:
    """Usage and model name from any provider's response (dict or SDK object).

    >>> parse_response({"model": "gpt-4o", "usage": {"prompt_tokens": 3, "completion_tokens": 4}})
    (Usage(input=3, cache_read=0, cache_write_5m=0, cache_write_1h=0, output=4, reasoning=0, \
audio_in=0, audio_out=0, image_in=0), 'gpt-4o')
    """
    if isinstance(response, Usage):
        return response, None
    data = _as_mapping(response)
    model = data.get("model") or data.get("modelVersion") or data.get("model_version")
    model = model if isinstance(model, str) else None
    if "usageMetadata" in data:
        return from_gemini(data["usageMetadata"]), model
    if isinstance(data.get("usage_metadata"), Mapping):  # the google-genai SDK's model_dump()
        return from_gemini(data["usage_metadata"]), model
    if "timings" in data or "tokens_predicted" in data:
        return from_llamacpp(data), model
    if "eval_count" in data or "prompt_eval_count" in data:
        return from_ollama(data), model
    usage = data.get("usage", data)
    if not isinstance(usage, Mapping):
        usage = _as_mapping(usage)
    return _usage_of(usage), model

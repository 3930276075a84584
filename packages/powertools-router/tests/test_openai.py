"""OpenAI chat completions: request bodies field by field, documented answers normalised."""

from __future__ import annotations

import pytest

from powertools.cost import Usage
from powertools.router import (
    FinishReason,
    ImagePart,
    Message,
    Request,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCall,
    ToolResultPart,
)
from powertools.router.errors import ProviderError
from powertools.router.providers.openai import OpenAIProvider

KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz"
WEATHER = Tool(
    "get_weather",
    "The weather in a city.",
    {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
)

# The chat completion object as the API reference shows it.
DOC_RESPONSE = {
    "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
    "object": "chat.completion",
    "created": 1741570283,
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "The image shows a wooden boardwalk.",
                "refusal": None,
                "annotations": [],
            },
            "logprobs": None,
            "finish_reason": "stop",
        }
    ],
    "usage": {
        "prompt_tokens": 1117,
        "completion_tokens": 46,
        "total_tokens": 1163,
        "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 10,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    },
    "service_tier": "default",
    "system_fingerprint": "fp_fc9f1d7035",
}
DOC_TOOL_RESPONSE = {
    **DOC_RESPONSE,
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_abc123",
                        "type": "function",
                        "function": {
                            "name": "get_weather",
                            "arguments": '{\n"city": "Boston"\n}',
                        },
                    }
                ],
            },
            "finish_reason": "tool_calls",
        }
    ],
}
# The streamed chunks as the streaming guide shows them, with include_usage.
DOC_STREAM = b"".join(
    b"data: " + line + b"\n\n"
    for line in [
        b'{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,'
        b'"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""},'
        b'"logprobs":null,"finish_reason":null}],"usage":null}',
        b'{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,'
        b'"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hello"},'
        b'"logprobs":null,"finish_reason":null}],"usage":null}',
        b'{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,'
        b'"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,'
        b'"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},'
        b'"finish_reason":null}],"usage":null}',
        b'{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,'
        b'"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,'
        b'"function":{"arguments":"{\\"city\\": "}}]},"finish_reason":null}],"usage":null}',
        b'{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,'
        b'"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,'
        b'"function":{"arguments":"\\"Paris\\"}"}}]},"finish_reason":null}],"usage":null}',
        b'{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,'
        b'"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"logprobs":null,'
        b'"finish_reason":"tool_calls"}],"usage":null}',
        b'{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,'
        b'"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,'
        b'"total_tokens":21,"prompt_tokens_details":{"cached_tokens":0},'
        b'"completion_tokens_details":{"reasoning_tokens":0}}}',
        b"[DONE]",
    ]
)


def provider(recorder=None, **options) -> OpenAIProvider:
    return OpenAIProvider(api_key=KEY, client=recorder.client if recorder else None, **options)


def test_plain_request_body_field_by_field() -> None:
    request = Request.of(
        "Hi",
        system="Be brief.",
        model="gpt-4o-mini",
        max_tokens=50,
        temperature=0.2,
        top_p=0.9,
        stop=("END",),
        seed=7,
    )
    assert provider()._body(request, stream=False) == {
        "model": "gpt-4o-mini",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
        ],
        "max_tokens": 50,
        "temperature": 0.2,
        "top_p": 0.9,
        "seed": 7,
        "stop": ["END"],
    }


def test_tool_calling_body_with_history_and_images() -> None:
    request = Request(
        (
            Message(
                "user", (TextPart("What is here?"), ImagePart(url="https://x/y.png", detail="low"))
            ),
            Message("assistant", "", (ToolCall("call_1", "get_weather", '{"city": "Paris"}'),)),
            Message("tool", (ToolResultPart("call_1", '{"temp": 21}'),)),
        ),
        model="gpt-4o",
        tools=(WEATHER,),
        tool_choice="get_weather",
    )
    body = provider()._body(request, stream=False)
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is here?"},
                {"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "low"}},
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": '{"temp": 21}'},
    ]
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "The weather in a city.",
                "parameters": dict(WEATHER.parameters),
            },
        }
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}


def test_json_schema_and_streaming_body() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    request = Request.of(
        "x", model="gpt-4o", response_format=ResponseFormat.json_schema(schema, "out")
    )
    body = provider()._body(request, stream=True)
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "out", "schema": schema, "strict": True},
    }
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    json_mode = provider()._body(
        Request.of("x", model="gpt-4o", response_format=ResponseFormat("json")), False
    )
    assert json_mode["response_format"] == {"type": "json_object"}


@pytest.mark.parametrize("model", ["o3-mini", "o4-mini", "gpt-5", "gpt-5-mini", "openai/o1"])
def test_reasoning_models_get_max_completion_tokens_and_effort(model) -> None:
    request = Request.of("x", model=model, max_tokens=100, reasoning_effort="high", temperature=0.5)
    body = provider()._body(request, stream=False)
    assert body["max_completion_tokens"] == 100
    assert "max_tokens" not in body
    assert body["reasoning_effort"] == "high"
    assert "temperature" not in body  # reasoning models reject sampling parameters


def test_extra_is_merged_into_the_body() -> None:
    body = provider()._body(Request.of("x", model="gpt-4o", extra={"service_tier": "flex"}), False)
    assert body["service_tier"] == "flex"


def test_environment_variables_and_headers(monkeypatch, recorder) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://proxy.local/v1/")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-1")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-1")
    rec = recorder(DOC_RESPONSE)
    p = OpenAIProvider(client=rec.client)
    assert p.base_url == "http://proxy.local/v1"
    headers = p._headers()
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["openai-organization"] == "org-1"
    assert headers["openai-project"] == "proj-1"
    assert KEY not in repr(p)


async def test_documented_answer_normalised(recorder) -> None:
    rec = recorder(
        DOC_RESPONSE,
        headers={
            "x-request-id": "req_1",
            "x-ratelimit-remaining-requests": "99",
            "content-type": "application/json",
        },
    )
    response = await provider(rec).complete(Request.of("x", model="gpt-4o"))
    assert str(rec.requests[-1].url) == "https://api.openai.com/v1/chat/completions"
    assert response.text == "The image shows a wooden boardwalk."
    assert response.model == "gpt-4o-2024-08-06"
    assert response.usage == Usage(input=93, cache_read=1024, output=36, reasoning=10)
    assert response.finish_reason is FinishReason.STOP
    assert response.request_id == "req_1"
    assert response.headers == {"x-ratelimit-remaining-requests": "99"}


async def test_documented_tool_call_answer(recorder) -> None:
    response = await provider(recorder(DOC_TOOL_RESPONSE)).complete(Request.of("x", model="gpt-4o"))
    assert response.finish_reason is FinishReason.TOOL_CALLS
    assert response.tool_calls == (
        ToolCall("call_abc123", "get_weather", '{\n"city": "Boston"\n}'),
    )
    assert response.tool_calls[0].parsed_arguments() == {"city": "Boston"}


async def test_documented_stream_assembled(recorder) -> None:
    rec = recorder(stream=DOC_STREAM, headers={"content-type": "text/event-stream"})
    chunks = [c async for c in provider(rec).stream(Request.of("x", model="gpt-4o-mini"))]
    assert [c.text for c in chunks if not c.done] == ["Hello"]
    final = chunks[-1].response
    assert final is not None
    assert final.text == "Hello"
    assert final.tool_calls == (ToolCall("call_1", "get_weather", '{"city": "Paris"}'),)
    assert final.usage == Usage(input=9, output=12)
    assert final.finish_reason is FinishReason.TOOL_CALLS
    assert final.timings.ttft is not None
    assert final.timings.ttft <= final.timings.total
    assert rec.sent["stream_options"] == {"include_usage": True}


async def test_error_event_inside_a_stream(recorder) -> None:
    # "Hello" in one read, the error in the next: the caller had "Hello" when it failed.
    hello = DOC_STREAM.split(b"\n\n")[1] + b"\n\n"
    rec = recorder(
        stream=[hello, b'data: {"error": {"message": "boom", "type": "server_error"}}\n\n']
    )
    with pytest.raises(ProviderError, match="boom") as caught:
        [c async for c in provider(rec).stream(Request.of("x", model="gpt-4o-mini"))]
    assert caught.value.delivered_chars == len("Hello")


async def test_a_missing_model_is_a_configuration_error() -> None:
    from powertools.router import ConfigurationError

    with pytest.raises(ConfigurationError, match="model"):
        await provider().complete(Request.of("x"))


async def test_models_lists_ids(recorder) -> None:
    rec = recorder({"object": "list", "data": [{"id": "gpt-4o", "object": "model"}, {"id": "o3"}]})
    models = await provider(rec).models()
    assert [(m.id, m.capabilities.reasoning) for m in models] == [("gpt-4o", False), ("o3", True)]


async def test_a_usage_the_normaliser_rejects_is_a_provider_error_in_a_stream(recorder) -> None:
    # reasoning_tokens larger than completion_tokens: powertools.cost refuses it; the stream
    # used to let its UsageFormatError escape instead of a ProviderError.
    bad = DOC_STREAM.replace(
        b'"completion_tokens_details":{"reasoning_tokens":0}',
        b'"completion_tokens_details":{"reasoning_tokens":99}',
    )
    rec = recorder(stream=bad)
    with pytest.raises(ProviderError, match="cannot read") as caught:
        [c async for c in provider(rec).stream(Request.of("x", model="gpt-4o-mini"))]
    assert caught.value.delivered_chars == len("Hello")


def test_inline_images_become_data_urls_and_a_named_speaker_keeps_its_name() -> None:
    request = Request(
        (Message("user", (ImagePart(data="iVBOR", media_type="image/png"),), name="alice"),),
        model="gpt-4o",
        tool_choice="auto",
        tools=(WEATHER,),
    )
    body = provider()._body(request, stream=False)
    assert body["messages"] == [
        {
            "role": "user",
            "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR"}}],
            "name": "alice",
        }
    ]
    assert body["tool_choice"] == "auto"


def test_a_reasoning_model_keeps_its_seed_and_sends_no_effort_unless_asked() -> None:
    body = provider()._body(Request.of("x", model="o3-mini", seed=7, temperature=0.5), False)
    assert body["seed"] == 7
    assert "reasoning_effort" not in body
    assert "temperature" not in body


async def test_an_error_object_in_a_successful_answer_is_a_provider_error(recorder) -> None:
    rec = recorder({"error": {"message": "upstream model crashed", "code": 502}})
    with pytest.raises(ProviderError, match="in the answer: upstream model crashed") as caught:
        await provider(rec).complete(Request.of("x", model="gpt-4o"))
    assert caught.value.status_code == 502
    assert caught.value.delivered_chars == 0


async def test_a_stream_without_a_usage_chunk_reports_no_usage(recorder) -> None:
    without_usage = b"\n\n".join(
        part for part in DOC_STREAM.split(b"\n\n") if b'"usage":{' not in part
    )
    rec = recorder(stream=without_usage)
    chunks = [c async for c in provider(rec).stream(Request.of("x", model="gpt-4o-mini"))]
    final = chunks[-1].response
    assert final is not None
    assert final.text == "Hello"
    assert final.usage == Usage()

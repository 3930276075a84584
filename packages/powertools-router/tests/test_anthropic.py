"""Anthropic Messages: request bodies field by field, documented answers and events normalised."""

from __future__ import annotations

import json

import pytest

from powertools.cost import Usage
from powertools.retry import ErrorCategory
from powertools.router import (
    FinishReason,
    ImagePart,
    Message,
    Request,
    ResponseFormat,
    StreamInterruptedError,
    TextPart,
    Tool,
    ToolCall,
    ToolResultPart,
)
from powertools.router.errors import ProviderError
from powertools.router.providers.anthropic import AnthropicProvider

KEY = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz"
WEATHER = Tool(
    "get_weather", "Weather.", {"type": "object", "properties": {"city": {"type": "string"}}}
)

DOC_RESPONSE = {
    "content": [{"text": "Hi! My name is Claude.", "type": "text"}],
    "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
    "model": "claude-sonnet-4-5-20250929",
    "role": "assistant",
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "type": "message",
    "usage": {
        "input_tokens": 2095,
        "output_tokens": 503,
        "cache_creation_input_tokens": 2051,
        "cache_read_input_tokens": 100,
    },
}
# The event sequence of the streaming guide (a thinking block, a text block, a tool_use block).
DOC_EVENTS = [
    (
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": "msg_1nZd",
                "type": "message",
                "role": "assistant",
                "content": [],
                "model": "claude-opus-4-1-20250805",
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": 25, "cache_read_input_tokens": 5, "output_tokens": 1},
            },
        },
    ),
    (
        "content_block_start",
        {
            "type": "content_block_start",
            "index": 0,
            "content_block": {"type": "thinking", "thinking": ""},
        },
    ),
    (
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "thinking_delta", "thinking": "Let me think."},
        },
    ),
    (
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "signature_delta", "signature": "EqQB"},
        },
    ),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("ping", {"type": "ping"}),
    (
        "content_block_start",
        {"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}},
    ),
    (
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 1,
            "delta": {"type": "text_delta", "text": "Hello"},
        },
    ),
    (
        "content_block_delta",
        {"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "!"}},
    ),
    ("content_block_stop", {"type": "content_block_stop", "index": 1}),
    (
        "content_block_start",
        {
            "type": "content_block_start",
            "index": 2,
            "content_block": {
                "type": "tool_use",
                "id": "toolu_01T1",
                "name": "get_weather",
                "input": {},
            },
        },
    ),
    (
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": '{"city": "San'},
        },
    ),
    (
        "content_block_delta",
        {
            "type": "content_block_delta",
            "index": 2,
            "delta": {"type": "input_json_delta", "partial_json": ' Francisco"}'},
        },
    ),
    ("content_block_stop", {"type": "content_block_stop", "index": 2}),
    (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": None},
            "usage": {"output_tokens": 89},
        },
    ),
    ("message_stop", {"type": "message_stop"}),
]


def sse(events) -> bytes:
    return b"".join(
        f"event: {name}\ndata: {json.dumps(data)}\n\n".encode() for name, data in events
    )


def provider(rec=None) -> AnthropicProvider:
    return AnthropicProvider(api_key=KEY, client=rec.client if rec else None)


def test_plain_body_and_headers() -> None:
    request = Request.of(
        "Hi",
        system="Be brief.",
        model="claude-haiku-4-5",
        max_tokens=64,
        temperature=0.3,
        top_p=0.8,
        stop=("\n\nHuman:",),
        seed=1,
    )
    p = provider()
    assert p._body(request, stream=False) == {
        "model": "claude-haiku-4-5",
        "max_tokens": 64,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
        "temperature": 0.3,
        "top_p": 0.8,
        "stop_sequences": ["\n\nHuman:"],
    }
    headers = p._headers()
    assert headers["x-api-key"] == KEY
    assert headers["anthropic-version"] == "2023-06-01"
    assert "authorization" not in headers


def test_tool_use_and_results_merge_into_turns() -> None:
    request = Request(
        (
            Message("user", (TextPart("Look"), ImagePart(data="iVBOR", media_type="image/png"))),
            Message(
                "assistant", "Checking.", (ToolCall("toolu_1", "get_weather", '{"city": "Paris"}'),)
            ),
            Message("tool", (ToolResultPart("toolu_1", "21 C"),)),
            Message("tool", (ToolResultPart("toolu_2", "oops", is_error=True),)),
        ),
        model="claude-sonnet-4-5",
        tools=(WEATHER,),
        tool_choice="required",
    )
    body = provider()._body(request, stream=True)
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Look"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"},
                },
            ],
        },
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking."},
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "get_weather",
                    "input": {"city": "Paris"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "21 C"},
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_2",
                    "content": "oops",
                    "is_error": True,
                },
            ],
        },
    ]
    assert body["tools"] == [
        {"name": "get_weather", "description": "Weather.", "input_schema": dict(WEATHER.parameters)}
    ]
    assert body["tool_choice"] == {"type": "any"}
    assert body["stream"] is True


def test_thinking_budget_and_effort() -> None:
    body = provider()._body(
        Request.of("x", model="claude-sonnet-4-5", thinking_budget=2000, max_tokens=500), False
    )
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2000}
    assert body["max_tokens"] > 2000  # the budget must fit inside max_tokens
    effort = provider()._body(
        Request.of("x", model="claude-sonnet-4-5", reasoning_effort="low"), False
    )
    assert effort["thinking"]["type"] == "enabled"


async def test_json_schema_is_a_forced_tool_whose_input_is_the_answer(recorder) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}}
    answer = {
        **DOC_RESPONSE,
        "stop_reason": "tool_use",
        "content": [{"type": "tool_use", "id": "toolu_9", "name": "out", "input": {"n": 3}}],
    }
    rec = recorder(answer)
    request = Request.of(
        "x", model="claude-haiku-4-5", response_format=ResponseFormat.json_schema(schema, "out")
    )
    response = await provider(rec).complete(request)
    assert rec.sent["tool_choice"] == {"type": "tool", "name": "out"}
    assert rec.sent["tools"][-1]["input_schema"] == schema
    assert response.text == '{"n": 3}'
    assert response.tool_calls == ()
    assert response.finish_reason is FinishReason.STOP


async def test_documented_answer(recorder) -> None:
    rec = recorder(
        DOC_RESPONSE,
        headers={"request-id": "req_018", "anthropic-ratelimit-requests-remaining": "49"},
    )
    response = await provider(rec).complete(Request.of("x", model="claude-sonnet-4-5"))
    assert str(rec.requests[-1].url) == "https://api.anthropic.com/v1/messages"
    assert response.text == "Hi! My name is Claude."
    assert response.usage == Usage(input=2095, cache_read=100, cache_write_5m=2051, output=503)
    assert response.request_id == "req_018"
    assert response.headers == {"anthropic-ratelimit-requests-remaining": "49"}
    assert response.model == "claude-sonnet-4-5-20250929"


async def test_documented_event_sequence(recorder) -> None:
    rec = recorder(stream=sse(DOC_EVENTS))
    chunks = [c async for c in provider(rec).stream(Request.of("x", model="claude-opus-4-1"))]
    assert [(c.text, c.reasoning) for c in chunks[:-1]] == [
        ("", "Let me think."),
        ("Hello", ""),
        ("!", ""),
    ]
    final = chunks[-1].response
    assert final.text == "Hello!"
    assert final.reasoning == "Let me think."
    assert final.tool_calls == (ToolCall("toolu_01T1", "get_weather", '{"city": "San Francisco"}'),)
    assert final.usage == Usage(input=25, cache_read=5, output=89)
    assert final.finish_reason is FinishReason.TOOL_CALLS


async def test_error_event_mid_stream_is_overloaded_after_delivery(recorder) -> None:
    events = DOC_EVENTS[:9]
    error = (
        "error",
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
    )
    rec = recorder(stream=[sse(events), sse([error])])
    with pytest.raises(StreamInterruptedError, match="Overloaded") as caught:
        [c async for c in provider(rec).stream(Request.of("x", model="claude-opus-4-1"))]
    assert caught.value.status_code == 529
    assert caught.value.category is ErrorCategory.RATE_LIMIT
    assert caught.value.delivered_chars == len("Hello!")


async def test_529_overloaded_answer(recorder) -> None:
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    rec = recorder(body, status=529, headers={"request-id": "req_x"})
    with pytest.raises(ProviderError) as caught:
        await provider(rec).complete(Request.of("x", model="claude-haiku-4-5"))
    assert caught.value.category is ErrorCategory.RATE_LIMIT
    assert caught.value.request_id == "req_x"
    assert "overloaded_error" in caught.value.message


async def test_rate_limit_reset_headers_give_the_wait(recorder) -> None:
    from datetime import UTC, datetime, timedelta

    reset = (datetime.now(UTC) + timedelta(seconds=30)).isoformat().replace("+00:00", "Z")
    headers = {
        "anthropic-ratelimit-tokens-remaining": "0",
        "anthropic-ratelimit-tokens-reset": reset,
        "anthropic-ratelimit-requests-remaining": "10",
        "anthropic-ratelimit-requests-reset": (
            datetime.now(UTC) + timedelta(seconds=2)
        ).isoformat(),
    }
    rec = recorder(
        {"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}},
        status=429,
        headers=headers,
    )
    with pytest.raises(ProviderError) as caught:
        await provider(rec).complete(Request.of("x", model="claude-haiku-4-5"))
    assert 28 < caught.value.retry_after <= 30  # the exhausted limit's reset, not the other one


def test_base_url_variable(monkeypatch) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    p = AnthropicProvider()
    assert p.base_url == "http://127.0.0.1:9999"
    assert p._headers()["x-api-key"] == KEY


async def test_an_event_of_the_wrong_shape_is_a_provider_error(recorder) -> None:
    # It used to escape as an AttributeError ('str' object has no attribute 'get').
    rec = recorder(stream=b'event: message_start\ndata: "not an object"\n\n')
    with pytest.raises(ProviderError, match="cannot read"):
        [c async for c in provider(rec).stream(Request.of("x", model="claude-opus-4-1"))]


def test_images_by_data_by_data_url_and_by_url_become_their_sources() -> None:
    request = Request(
        (
            Message(
                "user",
                (
                    ImagePart(data="iVBOR", media_type="image/png"),
                    ImagePart(url="data:image/webp;base64,UklGR"),
                    ImagePart(url="https://example.test/cat.jpg"),
                ),
            ),
        ),
        model="claude-haiku-4-5",
    )
    assert provider()._body(request, stream=False)["messages"][0]["content"] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}},
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/webp", "data": "UklGR"},
        },
        {"type": "image", "source": {"type": "url", "url": "https://example.test/cat.jpg"}},
    ]


@pytest.mark.parametrize(
    "choice", [{"type": "function", "function": {"name": "get_weather"}}, {"name": "get_weather"}]
)
def test_a_tool_choice_in_openai_s_shape_forces_that_tool(choice) -> None:
    body = provider()._body(
        Request.of("x", model="claude-haiku-4-5", tools=(WEATHER,), tool_choice=choice), False
    )
    assert body["tool_choice"] == {"type": "tool", "name": "get_weather"}


async def test_blocks_of_unknown_kinds_are_left_out_of_the_answer(recorder) -> None:
    answer = {
        **DOC_RESPONSE,
        "content": [
            {"type": "redacted_thinking", "data": "EmwKAhgB"},
            {"type": "text", "text": "Done."},
        ],
    }
    response = await provider(recorder(answer)).complete(Request.of("x", model="claude-opus-4-1"))
    assert response.text == "Done."
    assert response.reasoning == ""
    assert response.tool_calls == ()


async def test_an_error_object_in_a_successful_answer_keeps_its_status(recorder) -> None:
    rec = recorder(
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    )
    with pytest.raises(ProviderError, match=r"Overloaded \(overloaded_error\)") as caught:
        await provider(rec).complete(Request.of("x", model="claude-haiku-4-5"))
    assert caught.value.status_code == 529
    assert caught.value.category is ErrorCategory.RATE_LIMIT


async def test_models_lists_the_ids_the_key_can_use(recorder) -> None:
    rec = recorder(
        {
            "data": [
                {"type": "model", "id": "claude-sonnet-4-5-20250929"},
                {"type": "model", "id": "claude-haiku-4-5"},
            ],
            "has_more": False,
        }
    )
    models = await provider(rec).models()
    assert str(rec.requests[-1].url) == "https://api.anthropic.com/v1/models?limit=1000"
    assert [(m.id, m.provider, m.capabilities.vision) for m in models] == [
        ("claude-sonnet-4-5-20250929", "anthropic", True),
        ("claude-haiku-4-5", "anthropic", True),
    ]

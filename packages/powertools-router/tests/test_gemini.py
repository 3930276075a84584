"""Gemini: request bodies field by field, documented answers normalised, the key never in a URL."""

from __future__ import annotations

import pytest

from powertools.cost import Usage
from powertools.retry import ErrorCategory
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
from powertools.router.providers.gemini import GeminiProvider

KEY = "AIzaSyD-abcdefghijklmnopqrstuvwxyz012"
WEATHER = Tool(
    "get_weather", "Weather.", {"type": "object", "properties": {"city": {"type": "string"}}}
)

DOC_RESPONSE = {
    "candidates": [
        {
            "content": {
                "parts": [
                    {"text": "Thinking it over.", "thought": True},
                    {"text": "AI learns patterns."},
                ],
                "role": "model",
            },
            "finishReason": "STOP",
            "index": 0,
        }
    ],
    "usageMetadata": {
        "promptTokenCount": 1000,
        "candidatesTokenCount": 40,
        "totalTokenCount": 1160,
        "cachedContentTokenCount": 600,
        "thoughtsTokenCount": 120,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 1000}],
    },
    "modelVersion": "gemini-2.5-flash",
    "responseId": "mQ5xaL7zB",
}
DOC_429 = {
    "error": {
        "code": 429,
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "status": "RESOURCE_EXHAUSTED",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [
                    {
                        "quotaMetric": "generativelanguage.googleapis.com/"
                        "generate_content_free_tier_requests"
                    }
                ],
            },
            {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [{"description": "Learn more"}],
            },
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"},
        ],
    }
}


def provider(rec=None) -> GeminiProvider:
    return GeminiProvider(api_key=KEY, client=rec.client if rec else None)


def test_body_field_by_field() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    request = Request(
        (
            Message("system", "Be brief."),
            Message("user", (TextPart("See"), ImagePart(url="data:image/png;base64,iVBOR"))),
            Message("assistant", "", (ToolCall("c1", "get_weather", '{"city": "Rome"}'),)),
            Message("tool", (ToolResultPart("c1", '{"temp": 30}'),)),
        ),
        model="gemini-2.5-flash",
        tools=(WEATHER,),
        tool_choice="auto",
        max_tokens=100,
        temperature=0.1,
        top_p=0.5,
        stop=("END",),
        seed=3,
        thinking_budget=512,
        response_format=ResponseFormat.json_schema(schema),
    )
    assert provider()._body(request, stream=False) == {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"text": "See"},
                    {"inlineData": {"mimeType": "image/png", "data": "iVBOR"}},
                ],
            },
            {
                "role": "model",
                "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}}],
            },
            {
                "role": "user",
                "parts": [{"functionResponse": {"name": "get_weather", "response": {"temp": 30}}}],
            },
        ],
        "systemInstruction": {"parts": [{"text": "Be brief."}]},
        "generationConfig": {
            "maxOutputTokens": 100,
            "temperature": 0.1,
            "topP": 0.5,
            "seed": 3,
            "stopSequences": ["END"],
            "responseMimeType": "application/json",
            "responseJsonSchema": schema,
            "thinkingConfig": {"thinkingBudget": 512, "includeThoughts": True},
        },
        "tools": [
            {
                "functionDeclarations": [
                    {
                        "name": "get_weather",
                        "description": "Weather.",
                        "parameters": dict(WEATHER.parameters),
                    }
                ]
            }
        ],
        "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
    }


async def test_key_in_header_never_in_url(recorder) -> None:
    rec = recorder(DOC_RESPONSE)
    await provider(rec).complete(Request.of("x", model="models/gemini-2.5-flash"))
    sent = rec.requests[-1]
    assert (
        str(sent.url)
        == "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
    )
    assert sent.headers["x-goog-api-key"] == KEY
    assert KEY not in str(sent.url)


async def test_documented_answer_with_cached_and_thought_tokens(recorder) -> None:
    response = await provider(recorder(DOC_RESPONSE)).complete(
        Request.of("x", model="gemini-2.5-flash")
    )
    assert response.text == "AI learns patterns."
    assert response.reasoning == "Thinking it over."
    assert response.usage == Usage(input=400, cache_read=600, output=40, reasoning=120)
    assert response.finish_reason is FinishReason.STOP
    assert response.request_id == "mQ5xaL7zB"


async def test_stream_url_and_frames(recorder) -> None:
    frames = [
        {"candidates": [{"content": {"parts": [{"text": "Hel"}], "role": "model"}, "index": 0}]},
        {
            "candidates": [
                {
                    "content": {"parts": [{"text": "lo"}], "role": "model"},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": 5,
                "candidatesTokenCount": 2,
                "totalTokenCount": 7,
            },
        },
    ]
    import json

    rec = recorder(
        stream=b"".join(b"data: " + json.dumps(f).encode() + b"\r\n\r\n" for f in frames)
    )
    chunks = [c async for c in provider(rec).stream(Request.of("x", model="gemini-2.5-pro"))]
    assert str(rec.requests[-1].url).endswith(
        "/models/gemini-2.5-pro:streamGenerateContent?alt=sse"
    )
    assert [c.text for c in chunks[:-1]] == ["Hel", "lo"]
    assert chunks[-1].response.usage == Usage(input=5, output=2)


async def test_429_resource_exhausted_waits_retry_delay(recorder) -> None:
    rec = recorder(DOC_429, status=429)
    with pytest.raises(ProviderError) as caught:
        await provider(rec).complete(Request.of("x", model="gemini-2.5-flash"))
    assert caught.value.category is ErrorCategory.RATE_LIMIT
    assert caught.value.retry_after == 37.0
    assert "RESOURCE_EXHAUSTED" in caught.value.message


async def test_blocked_prompt_is_content_filter_and_empty_is_error(recorder) -> None:
    blocked = {
        "promptFeedback": {"blockReason": "SAFETY"},
        "usageMetadata": {"promptTokenCount": 4},
    }
    response = await provider(recorder(blocked)).complete(Request.of("x", model="gemini-2.5-flash"))
    assert response.finish_reason is FinishReason.CONTENT_FILTER
    with pytest.raises(ProviderError, match="no candidates"):
        await provider(recorder({"modelVersion": "x"})).complete(
            Request.of("x", model="gemini-2.5-flash")
        )


@pytest.mark.parametrize("variable", ["GEMINI_API_KEY", "GOOGLE_API_KEY"])
def test_key_variables(monkeypatch, variable) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    monkeypatch.setenv(variable, KEY)
    assert GeminiProvider()._headers()["x-goog-api-key"] == KEY


def test_images_by_data_and_by_url_and_text_tool_results_are_wrapped() -> None:
    request = Request(
        (
            Message("user", (ImagePart(data="iVBOR", media_type="image/png"),)),
            Message("user", (ImagePart(url="https://example.test/cat.jpg"),)),
            Message("assistant", "", (ToolCall("c1", "get_weather", "{}"),)),
            Message("tool", (ToolResultPart("c1", "sunny, 30 degrees"),)),
        ),
        model="gemini-2.5-flash",
    )
    contents = provider()._body(request, stream=False)["contents"]
    assert contents[0] == {  # two user turns in a row become one, as Gemini requires
        "role": "user",
        "parts": [
            {"inlineData": {"mimeType": "image/png", "data": "iVBOR"}},
            {"fileData": {"fileUri": "https://example.test/cat.jpg", "mimeType": "image/jpeg"}},
        ],
    }
    assert contents[2]["parts"] == [
        {"functionResponse": {"name": "get_weather", "response": {"result": "sunny, 30 degrees"}}}
    ]


def test_plain_json_mode_and_reasoning_effort_become_mime_type_and_thinking_level() -> None:
    body = provider()._body(
        Request.of(
            "x",
            model="gemini-3-pro",
            response_format=ResponseFormat(type="json"),
            reasoning_effort="minimal",
        ),
        stream=False,
    )
    assert body["generationConfig"] == {
        "responseMimeType": "application/json",
        "thinkingConfig": {"thinkingLevel": "low", "includeThoughts": True},
    }
    high = provider()._body(Request.of("x", model="m", reasoning_effort="medium"), stream=False)
    assert high["generationConfig"]["thinkingConfig"]["thinkingLevel"] == "high"


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        ({"type": "function", "function": {"name": "get_weather"}}, ["get_weather"]),
        ({"name": "get_weather"}, ["get_weather"]),
        ("get_weather", ["get_weather"]),
    ],
)
def test_a_named_tool_choice_forces_that_function(choice, config) -> None:
    body = provider()._body(
        Request.of("x", model="m", tools=(WEATHER,), tool_choice=choice), stream=False
    )
    assert body["toolConfig"] == {
        "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": config}
    }


async def test_function_calls_are_read_and_unknown_parts_and_reasons_are_kept_apart(
    recorder,
) -> None:
    answer = {
        "candidates": [
            {
                "content": {
                    "parts": [
                        {"executableCode": {"code": "print(1)"}},
                        {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}}},
                    ],
                    "role": "model",
                },
                "finishReason": "MALFORMED_FUNCTION_CALL",
            }
        ]
    }
    response = await provider(recorder(answer)).complete(Request.of("x", model="gemini-2.5-flash"))
    assert response.text == ""
    assert response.tool_calls == (ToolCall("call_0", "get_weather", '{"city": "Rome"}'),)
    assert response.finish_reason is FinishReason.ERROR
    assert response.usage == Usage()


async def test_an_error_event_in_a_stream_is_a_provider_error_with_its_status(recorder) -> None:
    import json

    frames = [
        {"candidates": [{"content": {"parts": [{"text": "Hel"}], "role": "model"}}]},
        {"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}},
    ]
    rec = recorder(stream=[b"data: " + json.dumps(f).encode() + b"\n\n" for f in frames])
    seen: list[str] = []

    async def read() -> None:
        async for chunk in provider(rec).stream(Request.of("x", model="gemini-2.5-flash")):
            seen.append(chunk.text)

    with pytest.raises(ProviderError) as caught:
        await read()
    assert seen == ["Hel"]
    assert caught.value.status_code == 503
    assert caught.value.delivered_chars == 3
    assert "The model is overloaded. (UNAVAILABLE)" in caught.value.message


async def test_models_lists_only_those_that_generate_content_with_their_limits(recorder) -> None:
    listing = {
        "models": [
            {
                "name": "models/gemini-2.5-flash",
                "inputTokenLimit": 1048576,
                "outputTokenLimit": 65536,
                "supportedGenerationMethods": ["generateContent", "countTokens"],
                "thinking": True,
            },
            {"name": "models/text-embedding-004", "supportedGenerationMethods": ["embedContent"]},
            {"name": "models/gemma-3"},
        ]
    }
    rec = recorder(listing)
    models = await provider(rec).models()
    assert str(rec.requests[-1].url).endswith("/models?pageSize=1000")
    assert [(m.id, m.context_window, m.max_output) for m in models] == [
        ("gemini-2.5-flash", 1048576, 65536),
        ("gemma-3", None, None),
    ]
    assert models[0].capabilities.reasoning
    assert not models[1].capabilities.reasoning

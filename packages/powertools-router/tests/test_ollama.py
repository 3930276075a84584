"""Ollama: /api/chat bodies field by field, documented answers and NDJSON, discovery endpoints."""

from __future__ import annotations

import json

import pytest

from powertools.cost import Usage
from powertools.retry import ErrorCategory
from powertools.router import (
    ConfigurationError,
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
from powertools.router.providers.ollama import OllamaProvider, ollama_url

DOC_RESPONSE = {
    "model": "llama3.2",
    "created_at": "2023-12-12T14:13:43.416799Z",
    "message": {"role": "assistant", "content": "Hello! How are you today?"},
    "done": True,
    "total_duration": 5191566416,
    "load_duration": 2154458,
    "prompt_eval_count": 26,
    "prompt_eval_duration": 383809000,
    "eval_count": 298,
    "eval_duration": 4799921000,
}
DOC_TOOL_RESPONSE = {
    **DOC_RESPONSE,
    "message": {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "function": {
                    "name": "get_current_weather",
                    "arguments": {"format": "celsius", "location": "Paris, FR"},
                }
            }
        ],
    },
    "done_reason": "stop",
}


def provider(rec=None, **options) -> OllamaProvider:
    return OllamaProvider(client=rec.client if rec else None, **options)


@pytest.mark.parametrize(
    ("host", "url"),
    [
        (None, "http://127.0.0.1:11434"),
        ("0.0.0.0", "http://127.0.0.1:11434"),
        ("box", "http://box:11434"),
        ("box:1234", "http://box:1234"),
        ("http://box:1234/", "http://box:1234"),
        ("https://ollama.example", "https://ollama.example"),
    ],
)
def test_ollama_host_forms(host, url) -> None:
    assert ollama_url(host) == url


def test_body_field_by_field() -> None:
    schema = {"type": "object", "properties": {"x": {"type": "number"}}}
    request = Request(
        (
            Message("system", "Be brief."),
            Message("user", (TextPart("Look"), ImagePart(data="iVBOR", media_type="image/png"))),
            Message("assistant", "", (ToolCall("c1", "get_weather", '{"city": "Oslo"}'),)),
            Message("tool", (ToolResultPart("c1", "-3 C", name="get_weather"),)),
        ),
        model="llama3.2:3b",
        tools=(Tool("get_weather", "Weather."),),
        response_format=ResponseFormat.json_schema(schema),
        max_tokens=64,
        temperature=0.0,
        top_p=0.9,
        stop=("###",),
        seed=42,
        extra={"options": {"num_ctx": 8192}},
    )
    assert provider(keep_alive="10m")._body(request, stream=True) == {
        "model": "llama3.2:3b",
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Look", "images": ["iVBOR"]},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}
                ],
            },
            {"role": "tool", "content": "-3 C", "tool_name": "get_weather"},
        ],
        "stream": True,
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Weather.",
                    "parameters": {"type": "object", "properties": {}},
                },
            }
        ],
        "format": schema,
        "options": {
            "num_predict": 64,
            "temperature": 0.0,
            "top_p": 0.9,
            "seed": 42,
            "stop": ["###"],
            "num_ctx": 8192,
        },
        "keep_alive": "10m",
    }
    assert (
        provider()._body(Request.of("x", model="m", response_format=ResponseFormat("json")), False)[
            "format"
        ]
        == "json"
    )


def test_a_data_url_image_is_sent_as_its_base64_data() -> None:
    request = Request(
        (Message("user", (ImagePart(url="data:image/png;base64,iVBOR"),)),), model="llava"
    )
    [message] = provider()._body(request, stream=False)["messages"]
    assert message["images"] == ["iVBOR"]


def test_image_urls_are_refused_with_the_fix() -> None:
    request = Request((Message("user", (ImagePart(url="https://x/y.png"),)),), model="llava")
    with pytest.raises(ConfigurationError, match="base64"):
        provider()._body(request, stream=False)


async def test_documented_answer_usage_and_durations(recorder) -> None:
    rec = recorder(DOC_RESPONSE)
    response = await provider(rec).complete(Request.of("x", model="llama3.2"))
    assert str(rec.requests[-1].url) == "http://127.0.0.1:11434/api/chat"
    assert rec.sent["stream"] is False
    assert response.text == "Hello! How are you today?"
    assert response.usage == Usage(input=26, output=298)
    assert response.timings.ttft == pytest.approx((2154458 + 383809000) / 1e9)
    assert response.timings.output_tokens_per_second == pytest.approx(298 / 4.799921)


async def test_documented_tool_call(recorder) -> None:
    response = await provider(recorder(DOC_TOOL_RESPONSE)).complete(
        Request.of("x", model="llama3.2")
    )
    assert response.finish_reason is FinishReason.TOOL_CALLS
    assert response.tool_calls[0].name == "get_current_weather"
    assert response.tool_calls[0].parsed_arguments() == {
        "format": "celsius",
        "location": "Paris, FR",
    }


async def test_ndjson_stream_and_length_finish(recorder) -> None:
    lines = [
        {"model": "llama3.2", "message": {"role": "assistant", "content": "The"}, "done": False},
        {"model": "llama3.2", "message": {"role": "assistant", "content": " sky"}, "done": False},
        {**DOC_RESPONSE, "message": {"role": "assistant", "content": ""}, "done_reason": "length"},
    ]
    rec = recorder(stream=b"".join(json.dumps(line).encode() + b"\n" for line in lines))
    chunks = [c async for c in provider(rec).stream(Request.of("x", model="llama3.2"))]
    assert [c.text for c in chunks[:-1]] == ["The", " sky"]
    final = chunks[-1].response
    assert final.text == "The sky"
    assert final.finish_reason is FinishReason.LENGTH
    assert final.usage == Usage(input=26, output=298)


async def test_a_model_not_pulled_says_ollama_pull(recorder) -> None:
    rec = recorder({"error": 'model "mistral:7b" not found, try pulling it first'}, status=404)
    with pytest.raises(ProviderError, match=r"ollama pull mistral:7b") as caught:
        await provider(rec).complete(Request.of("x", model="mistral:7b"))
    assert caught.value.category is ErrorCategory.PERMANENT


async def test_an_answer_without_done_is_an_error(recorder) -> None:
    with pytest.raises(ProviderError, match="done"):
        await provider(recorder({**DOC_RESPONSE, "done": False})).complete(
            Request.of("x", model="m")
        )


async def test_models_reads_tags_show_and_ps(fake_server) -> None:
    p = OllamaProvider(base_url=fake_server.base_url("ollama"))
    fake_server.ollama_loaded.add("qwen2.5-coder:7b")
    models = {m.id: m for m in await p.models()}
    coder = models["qwen2.5-coder:7b"]
    assert (coder.context_window, coder.quantization, coder.parameter_count, coder.loaded) == (
        32768,
        "Q4_K_M",
        7_615_616_512,
        True,
    )
    assert coder.capabilities.tools
    assert coder.local
    assert models["llama3.2:3b"].loaded is False
    assert coder.size_bytes == 4_683_087_332


def test_parameter_size_text() -> None:
    from powertools.router.providers.ollama import _params

    assert _params({"parameter_size": "8.0B"}) == 8_000_000_000
    assert _params({"parameter_size": "270M"}) == 270_000_000
    assert _params({"parameter_size": "?"}) is None
    assert _params({"parameter_size": "eightB"}) is None


async def test_an_unreachable_server_says_what_to_check() -> None:
    with pytest.raises(ProviderError, match="OLLAMA_HOST") as caught:
        await OllamaProvider(base_url="http://127.0.0.1:9").complete(
            Request.of("x", model="llama3.2", timeout=5)
        )
    assert caught.value.category in (ErrorCategory.TRANSIENT, ErrorCategory.TIMEOUT)


def test_a_thinking_budget_or_effort_turns_think_on() -> None:
    assert "think" not in provider()._body(Request.of("x", model="qwen3"), stream=False)
    effort = provider()._body(Request.of("x", model="qwen3", reasoning_effort="low"), False)
    budget = provider()._body(Request.of("x", model="qwen3", thinking_budget=256), False)
    assert effort["think"] is True
    assert budget["think"] is True


async def test_an_error_in_a_successful_answer_is_a_provider_error(recorder) -> None:
    rec = recorder({"error": "llama runner process has terminated"})
    with pytest.raises(ProviderError, match="error in the answer: llama runner process") as caught:
        await provider(rec).complete(Request.of("x", model="llama3.2"))
    assert caught.value.model == "llama3.2"


async def test_an_error_line_in_the_stream_stops_it_with_what_was_delivered(recorder) -> None:
    lines = [
        {"model": "llama3.2", "message": {"role": "assistant", "content": "The"}, "done": False},
        {"error": "an error was encountered while running the model: out of memory"},
    ]
    rec = recorder(stream=[json.dumps(line).encode() + b"\n" for line in lines])
    seen: list[str] = []

    async def read() -> None:
        async for chunk in provider(rec).stream(Request.of("x", model="llama3.2")):
            seen.append(chunk.text)

    with pytest.raises(ProviderError, match="out of memory") as caught:
        await read()
    assert seen == ["The"]
    assert caught.value.delivered_chars == 3

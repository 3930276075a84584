"""The httpx capture transport on each provider's real wire format, streamed and not."""

# ruff: noqa: E501  (wire-format fixtures read best one event per line)

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from powertools.cost import CostTracker
from powertools.cost.capture import UsageCaptureSyncTransport, UsageCaptureTransport


def sse(*events: Any, typed: bool = False) -> bytes:
    lines = []
    for event in events:
        if typed and isinstance(event, dict):
            lines.append(f"event: {event['type']}")
        lines.append("data: " + (event if isinstance(event, str) else json.dumps(event)))
        lines.append("")
    return ("\n".join(lines) + "\n").encode()


OPENAI_JSON = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}}],
    "usage": {
        "prompt_tokens": 2000,
        "completion_tokens": 100,
        "total_tokens": 2100,
        "prompt_tokens_details": {"cached_tokens": 1000, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    },
}
OPENAI_STREAM = sse(
    {"id": "c", "object": "chat.completion.chunk", "model": "gpt-4o", "choices": [{"delta": {"content": "Hi"}}], "usage": None},
    {"id": "c", "object": "chat.completion.chunk", "model": "gpt-4o", "choices": [], "usage": {"prompt_tokens": 400, "completion_tokens": 100, "total_tokens": 500}},
    "[DONE]",
)  # fmt: skip
RESPONSES_STREAM = sse(
    {"type": "response.created", "response": {"model": "o4-mini", "usage": None}},
    {"type": "response.output_text.delta", "delta": "Hi"},
    {"type": "response.completed", "response": {"model": "o4-mini-2025-04-16", "usage": {
        "input_tokens": 1000, "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 1000, "output_tokens_details": {"reasoning_tokens": 900},
        "total_tokens": 2000}}},
    typed=True,
)  # fmt: skip
ANTHROPIC_JSON = {
    "id": "msg_1",
    "type": "message",
    "model": "claude-haiku-4-5-20251001",
    "content": [{"type": "text", "text": "Hi"}],
    "usage": {
        "input_tokens": 1000,
        "cache_read_input_tokens": 10_000,
        "cache_creation_input_tokens": 0,
        "output_tokens": 200,
    },
}
ANTHROPIC_STREAM = sse(
    {"type": "message_start", "message": {"id": "m", "model": "claude-sonnet-4-5-20250929", "usage": {
        "input_tokens": 1000, "cache_creation_input_tokens": 2000, "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 2000},
        "output_tokens": 1}}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 400}},
    {"type": "message_stop"},
    typed=True,
)  # fmt: skip
GEMINI_JSON = {
    "candidates": [{"content": {"parts": [{"text": "Hi"}]}}],
    "usageMetadata": {
        "promptTokenCount": 1000,
        "candidatesTokenCount": 100,
        "totalTokenCount": 1100,
    },
    "modelVersion": "gemini-2.5-flash",
}
GEMINI_STREAM = sse(
    {"candidates": [{"content": {"parts": [{"text": "H"}]}}], "usageMetadata": {"promptTokenCount": 1000, "totalTokenCount": 1000}},
    {"candidates": [{"content": {"parts": [{"text": "i"}]}}], "usageMetadata": {"promptTokenCount": 1000, "candidatesTokenCount": 50, "thoughtsTokenCount": 150, "totalTokenCount": 1200}},
)  # fmt: skip

CASES = [
    # path, body, streamed, expected model, expected cost worked out by hand
    # gpt-4o-mini: 1,000 x 0.15 + 1,000 x 0.075 + 100 x 0.60 per million
    ("/v1/chat/completions", OPENAI_JSON, False, "gpt-4o-mini-2024-07-18", "0.000285"),
    # gpt-4o: 400 x 2.50 + 100 x 10 per million
    ("/v1/chat/completions", OPENAI_STREAM, True, "gpt-4o", "0.002"),
    # o4-mini: 1,000 x 1.10 + 1,000 x 4.40 per million
    ("/v1/responses", RESPONSES_STREAM, True, "o4-mini-2025-04-16", "0.0055"),
    # haiku 4.5: 1,000 x 1 + 10,000 x 0.10 + 200 x 5 per million
    ("/v1/messages", ANTHROPIC_JSON, False, "claude-haiku-4-5-20251001", "0.003"),
    # sonnet 4.5: 1,000 x 3 + 2,000 x 6 (1h write) + 400 x 15 per million
    ("/v1/messages", ANTHROPIC_STREAM, True, "claude-sonnet-4-5-20250929", "0.021"),
    # gemini 2.5 flash: 1,000 x 0.30 + 100 x 2.50 per million
    ("/v1beta/models/gemini-2.5-flash:generateContent", GEMINI_JSON, False, "gemini-2.5-flash", "0.00055"),
    # gemini 2.5 pro (model from the URL): 1,000 x 1.25 + 200 x 10 per million
    ("/v1beta/models/gemini-2.5-pro:streamGenerateContent", GEMINI_STREAM, True, "gemini-2.5-pro", "0.00325"),
]  # fmt: skip


def handler(body: Any, streamed: bool) -> Callable[[httpx.Request], httpx.Response]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(raw), 7):  # split events and lines across chunks
            yield raw[i : i + 7]

    def respond(request: httpx.Request) -> httpx.Response:
        if streamed:
            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, content=chunks()
            )
        return httpx.Response(200, json=body)

    return respond


@pytest.mark.parametrize(("path", "body", "streamed", "model", "cost"), CASES)
async def test_usage_is_captured_inside_a_span(
    path: str, body: Any, streamed: bool, model: str, cost: str
) -> None:
    tracker = CostTracker()
    transport = UsageCaptureTransport(httpx.MockTransport(handler(body, streamed)))
    async with (
        httpx.AsyncClient(transport=transport, base_url="https://llm.test") as client,
        tracker.track_call("chat") as span,
    ):
        if streamed:
            async with client.stream("POST", path, json={}) as response:
                async for _ in response.aiter_bytes():
                    pass
        else:
            (await client.post(path, json={})).raise_for_status()
    assert [r.model for r in span.records] == [model]
    assert tracker.get_total() == Decimal(cost)


async def test_without_a_span_the_tracker_records_its_own_call() -> None:
    tracker = CostTracker()
    transport = UsageCaptureTransport(
        httpx.MockTransport(handler(ANTHROPIC_JSON, False)), tracker=tracker
    )
    async with httpx.AsyncClient(transport=transport) as client:
        await client.post("https://llm.test/v1/messages", json={})
        await client.post("https://llm.test/v1/messages/count_tokens", json={})
        await client.get("https://llm.test/v1/models")
    assert [r.task for r in tracker.records] == ["http"]
    assert tracker.get_total() == Decimal("0.003")


async def test_errors_and_bodies_without_usage_record_nothing() -> None:
    tracker = CostTracker()

    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("completions"):
            return httpx.Response(429, json={"error": {"message": "slow down"}})
        if request.url.path.endswith("responses"):
            return httpx.Response(200, content=b"not json")
        return httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            content=sse({"type": "ping"}, "{bad"),
        )

    transport = UsageCaptureTransport(httpx.MockTransport(respond), tracker=tracker)
    async with httpx.AsyncClient(transport=transport, base_url="https://llm.test") as client:
        for path in ("/v1/chat/completions", "/v1/responses", "/v1/messages"):
            await client.post(path, json={})
    assert tracker.records == []


def test_sync_clients_are_tracked_too() -> None:
    tracker = CostTracker()
    transport = UsageCaptureSyncTransport(
        httpx.MockTransport(handler(OPENAI_JSON, False)), tracker=tracker
    )
    with httpx.Client(transport=transport) as client:
        client.post("https://llm.test/v1/chat/completions", json={})
        client.get("https://llm.test/v1/models")
    with tracker.track_call("inside") as span, httpx.Client(transport=transport) as client:
        client.post("https://llm.test/v1/chat/completions", json={})
    assert [r.task for r in tracker.records] == ["http", "inside"]
    assert span.cost_fd == tracker.records[0].cost_fd

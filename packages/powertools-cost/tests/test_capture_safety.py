"""The httpx capture never breaks the user's call (issue 13.6), reads compressed bodies (13.5)."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from powertools.cost import (
    BudgetExceededError,
    CaptureWarning,
    CostTracker,
    Ledger,
    LedgerError,
    MemoryLedger,
    PriceBook,
)
from powertools.cost.capture import UsageCaptureSyncTransport, UsageCaptureTransport
from powertools.cost.testing import openai_response


class Provider:
    """A fake provider that counts the requests it was sent (each one is charged)."""

    def __init__(self, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.body, self.headers, self.sent = body, headers or {}, 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        raw = json.dumps(self.body).encode()
        encoding = self.headers.get("content-encoding")
        if encoding == "gzip":
            raw = gzip.compress(raw)
        elif encoding == "deflate":
            raw = zlib.compress(raw)
        elif encoding == "zstd":
            raw = pytest.importorskip("zstandard").ZstdCompressor().compress(raw)
        headers = {"content-type": "application/json", **self.headers}
        return httpx.Response(200, headers=headers, content=raw)


async def test_an_unpriced_model_inside_a_span_is_recorded_flagged_and_the_call_succeeds() -> None:
    provider = Provider(openai_response("llama3.2", 120, 30))
    tracker = CostTracker(budget_usd=10)
    transport = UsageCaptureTransport(httpx.MockTransport(provider))
    async with (
        httpx.AsyncClient(transport=transport) as client,
        tracker.track_call("code_gen"),
    ):
        with pytest.warns(CaptureWarning, match="llama3.2"):
            response = await client.post("https://gpu.example/v1/chat/completions", json={})
        assert response.json()["model"] == "llama3.2"  # the user's call is intact
    [record] = tracker.records
    assert record.unpriced
    assert record.model == "llama3.2"
    assert record.usage is not None
    assert record.usage.total_tokens == 150
    assert record.cost_fd == 0
    assert tracker.get_daily_report().unpriced == 1


async def test_a_local_openai_compatible_server_is_priced_at_zero() -> None:
    provider = Provider(openai_response("llama3.2", 120, 30))
    tracker = CostTracker(budget_usd=10)
    transport = UsageCaptureTransport(httpx.MockTransport(provider), tracker=tracker)
    async with httpx.AsyncClient(transport=transport) as client:
        await client.post("http://127.0.0.1:11434/v1/chat/completions", json={"model": "llama3.2"})
    [record] = tracker.records
    assert (record.unpriced, record.cost_fd, record.model) == (False, 0, "llama3.2")


async def test_a_budget_refusal_comes_before_the_request_is_sent() -> None:
    provider = Provider(openai_response("gpt-4o", 1000, 100))
    tracker = CostTracker(budget_usd="0.001")
    transport = UsageCaptureTransport(httpx.MockTransport(provider), tracker=tracker)
    body = {"model": "gpt-4o", "max_tokens": 1000, "messages": []}
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(BudgetExceededError):
            await client.post("https://api.example/v1/chat/completions", json=body)
    assert provider.sent == 0  # nothing was charged
    assert tracker.records == []


async def test_without_a_span_the_hold_is_sized_from_the_request_and_settled() -> None:
    provider = Provider(openai_response("gpt-4o", 1000, 100))
    tracker = CostTracker(budget_usd=1)
    transport = UsageCaptureTransport(httpx.MockTransport(provider), tracker=tracker)
    body = {"model": "gpt-4o", "max_tokens": 200, "messages": []}
    async with httpx.AsyncClient(transport=transport) as client:
        await client.post("https://api.example/v1/chat/completions", json=body)
    status = (await tracker.budgets.astatus())[0]
    assert tracker.get_total() == Decimal("0.0035")  # 1,000 x $2.50/M + 100 x $10/M
    assert (status.spent, status.held) == (Decimal("0.0035"), 0)
    assert tracker.budgets.overruns == 0


async def test_an_unpriced_model_without_a_span_is_still_recorded() -> None:
    provider = Provider(openai_response("my-finetune", 10, 5))
    tracker = CostTracker(budget_usd=10, prices=PriceBook())
    tracker.prices.set_price("gpt-4o", input="2.5", output=10)
    transport = UsageCaptureTransport(httpx.MockTransport(provider), tracker=tracker)
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.warns(CaptureWarning):
            response = await client.post(
                "https://api.example/v1/chat/completions", json={"model": "my-finetune"}
            )
    assert response.status_code == 200
    assert [(r.model, r.unpriced) for r in tracker.records] == [("my-finetune", True)]
    assert (await tracker.budgets.astatus())[0].held == 0


async def test_a_malformed_usage_block_warns_and_the_call_succeeds() -> None:
    provider = Provider({"model": "gpt-4o", "usage": {"prompt_tokens": -5}})
    tracker = CostTracker()
    transport = UsageCaptureTransport(httpx.MockTransport(provider))
    async with httpx.AsyncClient(transport=transport) as client, tracker.track_call("t"):
        with pytest.warns(CaptureWarning, match="non-negative"):
            response = await client.post("https://api.example/v1/chat/completions")
    assert response.json()["usage"] == {"prompt_tokens": -5}


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "zstd"])
async def test_compressed_responses_are_read_after_decoding(encoding: str) -> None:
    provider = Provider(openai_response("gpt-4o", 1000, 100), {"content-encoding": encoding})
    tracker = CostTracker()
    transport = UsageCaptureTransport(httpx.MockTransport(provider), tracker=tracker)
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.post("https://api.example/v1/chat/completions", json={})
    assert response.json()["model"] == "gpt-4o"
    assert tracker.get_total() == Decimal("0.0035")


def test_the_sync_transport_is_as_safe() -> None:
    provider = Provider(openai_response("llama3.2", 12, 3), {"content-encoding": "gzip"})
    # an unpriced model holds what a model-less call holds: here a fixed $0.01
    tracker = CostTracker(budget_usd="0.1", unsized_reserve_usd="0.01")
    transport = UsageCaptureSyncTransport(httpx.MockTransport(provider), tracker=tracker)
    with httpx.Client(transport=transport) as client:
        with pytest.raises(BudgetExceededError):  # gpt-4o's worst case cannot fit
            client.post("https://api.example/v1/chat/completions", json={"model": "gpt-4o"})
        assert provider.sent == 0
        with pytest.warns(CaptureWarning):
            client.post("https://api.example/v1/chat/completions", json={"model": "llama3.2"})
    assert [r.unpriced for r in tracker.records] == [True]


SIZED = {"model": "gpt-4o", "max_tokens": 100, "messages": []}  # a hold that fits in $1


def closed_port() -> int:
    """A local port nothing listens on: a dead provider."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_unreadable_content_encoding_warns_records_nothing_and_releases_the_hold() -> None:
    provider = Provider(openai_response("gpt-4o", 1000, 100), {"content-encoding": "br"})
    tracker = CostTracker(budget_usd=1)
    transport = UsageCaptureTransport(httpx.MockTransport(provider), tracker=tracker)
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.warns(CaptureWarning, match="content-encoding br cannot be decoded here"):
            response = await client.post("https://api.example/v1/chat/completions", json=SIZED)
    assert response.status_code == 200
    assert tracker.records == []
    assert (await tracker.budgets.astatus())[0].held == 0


async def test_a_body_encoded_twice_is_decoded_in_reverse_order() -> None:
    body = json.dumps(openai_response("gpt-4o", 1000, 100)).encode()
    twice = gzip.compress(zlib.compress(body))  # deflate first, then gzip: "deflate, gzip"

    def respond(request: httpx.Request) -> httpx.Response:
        headers = {"content-type": "application/json", "content-encoding": "deflate, gzip"}
        return httpx.Response(200, headers=headers, content=twice)

    tracker = CostTracker()
    transport = UsageCaptureTransport(httpx.MockTransport(respond), tracker=tracker)
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.post("https://api.example/v1/chat/completions", json={})
    assert response.json()["model"] == "gpt-4o"
    assert tracker.get_total() == Decimal("0.0035")


async def test_a_damaged_event_stream_warns_and_the_user_still_reads_every_byte() -> None:
    events = [
        b'data: {"type": "message_start", "message": "not an object"}\n\n',
        b'data: {"type": "message_delta", "usage": {"output_tokens": 5}}\n\n',
        b"data: [DONE]\n\n",
    ]

    async def chunks() -> AsyncIterator[bytes]:
        for event in events:  # one event per chunk: the reader fails at the first
            yield event

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=chunks())

    tracker = CostTracker(budget_usd=1)
    transport = UsageCaptureTransport(httpx.MockTransport(respond), tracker=tracker)
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.warns(CaptureWarning, match="could not read the usage of a response"):
            async with client.stream(
                "POST",
                "https://api.example/v1/messages",
                json={**SIZED, "model": "claude-haiku-4-5"},
            ) as response:
                received = b"".join([chunk async for chunk in response.aiter_raw(16)])
    assert received == b"".join(events)
    assert tracker.records == []
    assert (await tracker.budgets.astatus())[0].held == 0


async def test_events_that_are_not_objects_are_skipped() -> None:
    stream = (
        b"data: [1, 2]\n\n"
        b'data: "text"\n\n'
        b'data: {"model": "gpt-4o", "choices": [], '
        b'"usage": {"prompt_tokens": 1000, "completion_tokens": 100}}\n\n'
        b"data: [DONE]\n\n"
    )

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=stream)

    tracker = CostTracker()
    transport = UsageCaptureTransport(httpx.MockTransport(respond), tracker=tracker)
    async with (
        httpx.AsyncClient(transport=transport) as client,
        client.stream("POST", "https://api.example/v1/chat/completions") as response,
    ):
        await response.aread()
    assert [r.model for r in tracker.records] == ["gpt-4o"]
    assert tracker.get_total() == Decimal("0.0035")


@pytest.mark.parametrize("body", [b"model=gpt-4o", b'["gpt-4o"]'])
async def test_a_request_body_that_is_not_a_json_object_is_held_as_a_model_less_call(
    body: bytes,
) -> None:
    provider = Provider(openai_response("gpt-4o", 1000, 100))
    tracker = CostTracker(budget_usd=1, unsized_reserve_usd="0.5")
    held: list[Decimal] = []

    def respond(request: httpx.Request) -> httpx.Response:
        held.append(tracker.budgets.status()[0].held)
        return provider(request)

    transport = UsageCaptureTransport(httpx.MockTransport(respond), tracker=tracker)
    async with httpx.AsyncClient(transport=transport) as client:
        await client.post("https://api.example/v1/chat/completions", content=body)
    assert held == [Decimal("0.5")]  # unsized_reserve_usd: the body names no model
    assert [r.model for r in tracker.records] == ["gpt-4o"]  # the response does
    assert tracker.get_total() == Decimal("0.0035")


async def test_geminis_max_output_tokens_sizes_the_hold() -> None:
    body = {
        "candidates": [],
        "usageMetadata": {"promptTokenCount": 1000, "candidatesTokenCount": 100},
    }
    provider = Provider(body)
    tracker = CostTracker(budget_usd="0.01")
    transport = UsageCaptureTransport(httpx.MockTransport(provider), tracker=tracker)
    path = "https://gemini.example/v1beta/models/gemini-2.5-flash:generateContent"
    async with httpx.AsyncClient(transport=transport) as client:
        # 4,096 prompt tokens at the dearest input ($1/M audio) + 65,536 output x $2.50/M
        with pytest.raises(BudgetExceededError):
            await client.post(path, json={"contents": []})
        assert provider.sent == 0
        await client.post(path, json={"generationConfig": {"maxOutputTokens": 100}})
    assert provider.sent == 1
    assert tracker.get_total() == Decimal("0.00055")  # 1,000 x $0.30/M + 100 x $2.50/M


async def test_a_dead_provider_raises_to_the_user_and_releases_the_hold() -> None:
    tracker = CostTracker(budget_usd=1)
    transport = UsageCaptureTransport(tracker=tracker)  # a real transport, to a closed port
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.ConnectError):
            await client.post(
                f"http://127.0.0.1:{closed_port()}/v1/chat/completions", json={"model": "x"}
            )
    assert tracker.records == []
    assert (await tracker.budgets.astatus())[0].held == 0


def test_a_dead_provider_raises_to_a_sync_client_and_releases_the_hold() -> None:
    tracker = CostTracker(budget_usd=1)
    transport = UsageCaptureSyncTransport(tracker=tracker)
    with httpx.Client(transport=transport) as client, pytest.raises(httpx.ConnectError):
        client.post(f"http://127.0.0.1:{closed_port()}/v1/messages", json={"model": "x"})
    assert tracker.records == []
    assert tracker.budgets.status()[0].held == 0


def test_a_sync_error_response_records_nothing_and_releases_the_hold() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"error": {"message": "overloaded"}})

    tracker = CostTracker(budget_usd=1)
    transport = UsageCaptureSyncTransport(httpx.MockTransport(respond), tracker=tracker)
    with httpx.Client(transport=transport) as client:
        response = client.post("https://api.example/v1/chat/completions", json={"model": "gpt-4o"})
    assert response.json() == {"error": {"message": "overloaded"}}
    assert tracker.records == []
    assert tracker.budgets.status()[0].held == 0


async def test_a_ledger_that_fails_to_settle_warns_and_the_response_is_intact(
    async_only_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(key: str, rid: str, amount_fd: int) -> int:
        raise LedgerError("the Redis ledger failed: ConnectionError: connection refused")

    monkeypatch.setattr(async_only_ledger, "commit", down)
    provider = Provider(openai_response("gpt-4o", 1000, 100))
    tracker = CostTracker(budget_usd=1, ledger=async_only_ledger)
    transport = UsageCaptureTransport(httpx.MockTransport(provider), tracker=tracker)
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.warns(CaptureWarning, match="could not settle the call's budget hold"):
            response = await client.post("https://api.example/v1/chat/completions", json=SIZED)
    assert response.json()["model"] == "gpt-4o"


def test_a_sync_ledger_that_fails_to_settle_warns_and_the_response_is_intact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledger = MemoryLedger()

    def down(key: str, rid: str, amount_fd: int) -> int:
        raise LedgerError("the SQLite ledger is locked")

    monkeypatch.setattr(ledger, "commit_sync", down)
    provider = Provider(openai_response("gpt-4o", 1000, 100))
    tracker = CostTracker(budget_usd=1, ledger=ledger)
    transport = UsageCaptureSyncTransport(httpx.MockTransport(provider), tracker=tracker)
    with (
        httpx.Client(transport=transport) as client,
        pytest.warns(CaptureWarning, match="could not settle .* the SQLite ledger is locked"),
    ):
        response = client.post("https://api.example/v1/chat/completions", json=SIZED)
    assert response.json()["model"] == "gpt-4o"

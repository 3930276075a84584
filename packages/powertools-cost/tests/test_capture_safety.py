"""The httpx capture never breaks the user's call (issue 13.6), reads compressed bodies (13.5)."""

from __future__ import annotations

import gzip
import json
import zlib
from decimal import Decimal
from typing import Any

import httpx
import pytest

from powertools.cost import BudgetExceededError, CaptureWarning, CostTracker, PriceBook
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

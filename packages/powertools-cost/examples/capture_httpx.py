"""Track an SDK's calls with no proxy: an httpx transport reads usage from the responses.

With the SDKs: ``openai.AsyncOpenAI(http_client=client)`` or
``anthropic.AsyncAnthropic(http_client=client)``. Here a mock server answers like Anthropic.
Run: ``python examples/capture_httpx.py`` (needs ``powertools-cost[httpx]``).
"""

from __future__ import annotations

import asyncio

import httpx

from powertools.cost import CostTracker
from powertools.cost.capture import UsageCaptureTransport


def anthropic_like(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "type": "message",
            "model": "claude-haiku-4-5-20251001",
            "content": [{"type": "text", "text": "Hello"}],
            "usage": {"input_tokens": 1000, "output_tokens": 200},
        },
    )


async def main() -> None:
    tracker = CostTracker()
    transport = UsageCaptureTransport(httpx.MockTransport(anthropic_like), tracker=tracker)
    async with (
        httpx.AsyncClient(transport=transport, base_url="https://api.example") as client,
        tracker.track_call("greet", user="ann"),
    ):
        await client.post("/v1/messages", json={"model": "claude-haiku-4-5", "messages": []})
    print(f"recorded ${tracker.get_total()} for {tracker.records[0].model}")


if __name__ == "__main__":
    asyncio.run(main())

"""One chat turn through every component: limited, retried, budgeted, saved and logged."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from powertools.cost import CostTracker
from powertools.cost.testing import openai_response
from powertools.logging import StructuredLogger, set_context
from powertools.logging.testing import MemorySink
from powertools.ratelimit import RateLimiter
from powertools.retry import RetryEvent, TransientError, retry
from powertools.retry.testing import set_testing
from powertools.session import Session

STORE = Path(tempfile.mkdtemp()).as_uri()
sink = MemorySink()
log = StructuredLogger("chat", sinks=[sink])
limiter = RateLimiter(requests_per_minute=500, tokens_per_minute=30_000)
tracker = CostTracker(budget_usd="5.00", alert_threshold_usd="4.00", on_alert=print)


class FakeOpenAI:
    """Fails once with a 503, then answers with a usage block, as the real API does."""

    def __init__(self) -> None:
        self.calls = 0

    async def chat(self, messages: list[dict[str, str]], max_tokens: int) -> dict[str, Any]:
        self.calls += 1
        if self.calls == 1:
            raise TransientError("503 Service Unavailable")
        body = openai_response("gpt-4o", 50 * len(messages), 120)
        body["choices"] = [{"message": {"role": "assistant", "content": "Paris."}}]
        return body


client = FakeOpenAI()


def log_retry(event: RetryEvent) -> None:
    log.warning("llm_retry", attempt=event.attempt, error=str(event.error))


@retry(max_attempts=3, on_retry=log_retry)
async def complete(messages: list[dict[str, str]], max_tokens: int) -> dict[str, Any]:
    return await client.chat(messages, max_tokens)


async def chat_turn(user: str, question: str) -> str:
    set_context(user_id=user)
    chat = Session(f"chat-{user}", store=STORE)
    chat.append("history", {"role": "user", "content": question})
    messages = chat.get("history")
    max_tokens = 256
    async with (
        limiter.acquire(tokens=50 * len(messages) + max_tokens) as reservation,
        tracker.track_call(
            "chat",
            model="gpt-4o",
            user=user,
            prompt_tokens=50 * len(messages),
            max_tokens=max_tokens,
        ) as span,
    ):
        response = await complete(messages, max_tokens)
        span.record(response)
        reservation.settle(tokens=response["usage"]["total_tokens"])
    answer: str = response["choices"][0]["message"]["content"]
    chat.append("history", {"role": "assistant", "content": answer})
    log.info("chat_turn", model="gpt-4o", tokens=response["usage"]["total_tokens"])
    return answer


async def main() -> None:
    answer = await chat_turn("ann", "What is the capital of France?")
    print("answer:", answer)
    print(f"cost: ${tracker.get_total()} after {client.calls} provider calls")
    print("saved turns:", len(Session("chat-ann", store=STORE).get("history")))
    print("log:", [(e.event, e.fields["user_id"]) for e in sink.events])

    assert answer == "Paris."
    assert client.calls == 2  # the 503 was retried
    assert tracker.get_total() > 0
    assert len(Session("chat-ann", store=STORE).get("history")) == 2
    assert [e.event for e in sink.events] == ["llm_retry", "chat_turn"]
    assert len({e.fields["trace_id"] for e in sink.events}) == 1  # one trace for the turn
    log.close()


if __name__ == "__main__":
    with set_testing(True):  # no real waits between attempts
        asyncio.run(main())

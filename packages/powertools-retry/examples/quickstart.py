"""Retry a flaky async call, guard it with a circuit breaker, degrade to a fallback."""

from __future__ import annotations

import asyncio

from powertools.retry import (
    CircuitBreaker,
    CircuitOpenError,
    ErrorHandler,
    RetryEvent,
    fallback,
    retry,
)


class FlakyLLM:
    """Fails twice with a rate limit, then answers."""

    def __init__(self) -> None:
        self.calls = 0

    async def generate(self, prompt: str) -> str:
        self.calls += 1
        if self.calls <= 2:
            raise ErrorHandler.RateLimitError("429 Too Many Requests", retry_after=0.01)
        return f"answer to {prompt!r}"


llm = FlakyLLM()


def log_retry(event: RetryEvent) -> None:
    print(f"attempt {event.attempt} failed ({event.category}); waiting {event.wait:.2f}s")


@retry(max_attempts=4, strategy="exponential_backoff", base_delay=0.01, on_retry=log_retry)
async def call_llm(prompt: str) -> str:
    return await llm.generate(prompt)


breaker = CircuitBreaker("search", failure_threshold=2, recovery_timeout=30)


async def cached_search(query: str) -> str:
    return f"cached results for {query!r}"


@fallback(cached_search)
@breaker
async def search(query: str) -> str:
    raise ConnectionError("search service down")


async def main() -> None:
    print(await call_llm("hello"))
    for _ in range(3):
        print(await search("retry libraries"))
    print("breaker:", breaker.state.value)
    try:
        await breaker.acall(search.__wrapped__, "x")  # type: ignore[attr-defined]
    except CircuitOpenError as exc:
        print(f"refused; next probe in {exc.retry_after:.0f}s")


if __name__ == "__main__":
    asyncio.run(main())

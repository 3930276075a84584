"""The spec's Component 4 example and this package's part of "All Components Work Together"."""

from __future__ import annotations

import asyncio
import os

import pytest

from powertools.ratelimit import QuotaManager, RateLimiter, rate_limit
from powertools.ratelimit.testing import FakeClock


class FakeLLM:
    """Stands in for the spec's ``llm``: counts calls."""

    def __init__(self) -> None:
        self.calls = 0

    async def generate(self, prompt: str) -> str:
        self.calls += 1
        return f"answer to {prompt}"


async def test_component_4_example_runs_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    llm = FakeLLM()
    prompt = "hello"

    # Decorator-based
    @rate_limit(requests_per_minute=60, tokens_per_hour=1_000_000, priority="high")
    async def important_task():  # type: ignore[no-untyped-def]
        return await llm.generate(prompt)

    # Queue-based
    quota = QuotaManager()

    # Auto-queues if over limit
    await quota.check_and_wait(tokens=5000)
    await llm.generate(prompt)

    # Get stats
    stats = quota.get_stats()
    print(f"Queue length: {stats.queued_tasks}")
    print(f"Wait time: {stats.estimated_wait_seconds}s")

    assert await important_task() == "answer to hello"
    assert llm.calls == 2
    out = capsys.readouterr().out
    assert "Queue length: 0" in out
    assert "Wait time: 0.0s" in out
    assert stats.rate_per_second["tokens"] > 0  # the unlimited manager still counts usage


async def test_decorator_of_the_example_queues_the_second_call() -> None:
    clock = FakeClock()
    limiter = RateLimiter(requests_per_minute=60, clock=clock, sleep=clock.wait)

    @limiter.limit(priority="high")
    async def important_task() -> float:
        return clock()

    first = asyncio.create_task(important_task())
    second = asyncio.create_task(important_task())
    await clock.aadvance(1.0)
    assert (await first, await second) == (0.0, 1.0)


async def test_rate_limiter_with_no_arguments_admits_everything_in_priority_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.startswith("POWERTOOLS_RATELIMIT_"):
            monkeypatch.delenv(name)
    rate_limiter = RateLimiter()

    @rate_limiter.limit(priority="high")
    async def generate_code(requirement: str) -> str:
        await asyncio.sleep(0)
        return f"code for {requirement}"

    results = await asyncio.gather(*(generate_code(f"r{i}") for i in range(100)))
    assert results == [f"code for r{i}" for i in range(100)]
    assert rate_limiter.limits == ()
    assert rate_limiter.queued == 0


def test_rate_limiter_with_no_arguments_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POWERTOOLS_RATELIMIT_REQUESTS_PER_MINUTE", "120")
    assert [(x.name, x.limit) for x in RateLimiter().limits] == [("requests_per_minute", 120.0)]
    monkeypatch.setenv("POWERTOOLS_RATELIMIT_TOKENS_PER_MINUTE", "lots")
    with pytest.raises(ValueError, match="POWERTOOLS_RATELIMIT_TOKENS_PER_MINUTE"):
        RateLimiter()

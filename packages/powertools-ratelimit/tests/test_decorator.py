"""The decorators charge an estimate and settle to the usage the function reports."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from powertools.ratelimit import (
    RateLimiter,
    RateLimiterError,
    RateLimitTimeout,
    rate_limit,
    report_usage,
    usage_of,
)
from powertools.ratelimit.testing import FakeClock


def test_the_spec_decorator_charges_the_default_estimate() -> None:
    @rate_limit(tokens_per_minute=1000, timeout=0)
    def ask(prompt: str) -> str:
        return prompt

    assert ask("first") == "first"  # charged 1,000 tokens: the minute is spent
    with pytest.raises(RateLimitTimeout):
        ask("second")


async def test_the_result_usage_settles_the_call() -> None:
    clock = FakeClock()
    limiter = RateLimiter(
        tokens_per_minute=10_000,
        burst={"tokens_per_minute": 10_000},
        clock=clock,
        sleep=clock.wait,
    )

    @limiter.limit(tokens=5_000)
    async def openai_like() -> object:
        return SimpleNamespace(usage=SimpleNamespace(prompt_tokens=100, completion_tokens=50))

    @limiter.limit(tokens=5_000)
    async def anthropic_like() -> dict[str, object]:
        return {"usage": {"input_tokens": 300, "output_tokens": 20}}

    @limiter.limit()
    async def reports() -> str:
        report_usage(tokens=7)
        return "no usage in the result"

    await asyncio.gather(openai_like(), anthropic_like(), reports())
    assert limiter.stats()[0].in_use == pytest.approx(150 + 320 + 7)


def test_report_usage_outside_a_decorated_call_says_what_to_do() -> None:
    with pytest.raises(RateLimiterError, match="outside a rate-limited function"):
        report_usage(tokens=5)


def test_usage_shapes() -> None:
    assert usage_of({"usage_metadata": {"total_token_count": 9}}) == (9.0, None, None)
    assert usage_of(SimpleNamespace(usage=None)) is None
    assert usage_of({"usage": {"output_tokens": 4}}) == (4.0, None, 4.0)
    assert usage_of({"usage": {"total_tokens": None}}) is None  # a usage without numbers


def test_the_default_estimate_never_exceeds_the_token_limits() -> None:
    assert RateLimiter(tokens_per_minute=300).default_tokens == 300
    assert RateLimiter(requests_per_minute=5).default_tokens == 1_000
    assert RateLimiter(default_tokens=50).default_tokens == 50
    with pytest.raises(ValueError, match="default_tokens"):
        RateLimiter(default_tokens=-1)

"""The rate-limit path: expected waits by priority, and the engine skipping a long queue."""

from __future__ import annotations

import asyncio

import pytest

from powertools.router import LLMRouter, SimulatedModel, SimulatedProvider
from powertools.router._limits import RateLimits

pytest.importorskip("powertools.ratelimit")

# one request a minute for gpt-4o-mini: after one call the next waits about a minute
ONE_A_MINUTE = {"simulated": {"models": {"gpt-4o-mini": {"requests_per_minute": 1}}}}


async def test_a_critical_call_sees_a_shorter_wait_than_a_low_one_behind_queued_waiters() -> None:
    limits = RateLimits(enabled=True, config=ONE_A_MINUTE)
    async with limits.slot("simulated", "gpt-4o-mini", 10, priority="normal", wait_at_most=1):
        pass  # the minute's one request is used
    queued = [
        asyncio.create_task(_wait_in_line(limits, "low")),
        asyncio.create_task(_wait_in_line(limits, "low")),
    ]
    await asyncio.sleep(0.01)  # both are in the queue now
    try:
        low = limits.expected_wait("simulated", "gpt-4o-mini", 10, "low")
        critical = limits.expected_wait("simulated", "gpt-4o-mini", 10, "critical")
    finally:
        for task in queued:
            task.cancel()
        await asyncio.gather(*queued, return_exceptions=True)
    assert critical < low  # the critical call passes the queued low ones
    assert critical > 0  # it still waits for the minute's window


async def _wait_in_line(limits: RateLimits, priority: str) -> None:
    async with limits.slot("simulated", "gpt-4o-mini", 10, priority=priority, wait_at_most=600):
        pass


async def test_a_candidate_whose_wait_exceeds_the_deadline_is_skipped_not_queued_behind() -> None:
    sim = SimulatedProvider(
        [SimulatedModel("gpt-4o-mini"), SimulatedModel("gpt-4.1-mini")], latency_scale=0
    )
    router = LLMRouter(
        providers=[sim], cloud_providers=[], explore=0, rate_limit_config=ONE_A_MINUTE
    )
    first = await router.route(task="hello", complexity=0.3, required_quality=0.5, deadline=5)
    assert first.model == "gpt-4o-mini"  # the cheapest that meets the bar
    second = await router.route(task="hello", complexity=0.3, required_quality=0.5, deadline=5)
    assert second.model == "gpt-4.1-mini"
    dropped = {d.candidate.model: d.reason for d in second.decision.dropped}
    assert "rate limit wait" in dropped["gpt-4o-mini"]
    assert "deadline leaves" in second.decision.explain()


async def test_the_route_priority_reaches_the_wait_estimate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []
    real = RateLimits.expected_wait

    def spy(self: RateLimits, family: str, model: str, tokens: int, priority: str = "-") -> float:
        seen.append(priority)
        return real(self, family, model, tokens, priority)

    monkeypatch.setattr(RateLimits, "expected_wait", spy)
    router = LLMRouter(providers=[SimulatedProvider(latency_scale=0)], explore=0)
    await router.route(task="hello", complexity=0.3, priority="critical")
    assert seen
    assert set(seen) == {"critical"}

"""LLMRouter: the spec's examples, failover, budgets, breakers, streams, sync, cache, hedging."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from powertools.cost import BudgetExceededError, BudgetManager, CostTracker
from powertools.retry.testing import FakeClock
from powertools.router import (
    AllProvidersFailedError,
    ConfigurationError,
    FailureProfile,
    LLMRouter,
    NoCandidateError,
    SimulatedModel,
    SimulatedProvider,
    StreamInterruptedError,
)

NO_KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")


@pytest.fixture(autouse=True)
def _no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NO_KEYS:
        monkeypatch.delenv(name, raising=False)


def fast_sim(**options: Any) -> SimulatedProvider:
    return SimulatedProvider(latency_scale=0, **options)


async def test_the_spec_example_runs_as_written_on_the_simulated_models(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "powertools.router")
    router = LLMRouter(
        local_models=["deepseek-coder:7b", "mistral:7b"],
        cloud_providers=["openai", "anthropic"],
        budget_usd_per_month=100,
    )
    router._wanted = (  # the spec's router, with the simulated latencies at zero for the test
        (fast_sim(models=[*_defaults_with("deepseek-coder:7b", "mistral:7b")]),),
        ["deepseek-coder:7b", "mistral:7b"],
        ["openai", "anthropic"],
        0,
    )
    result = await router.route(
        task="Generate Python function", complexity_score=0.6, required_quality=0.8
    )
    assert result.provider == "simulated"
    assert isinstance(result.cost, Decimal)
    assert result.cost > 0
    assert result.latency_ms >= 0
    # cheapest that meets 0.8: gpt-4.1-mini (0.80) beats gemini-2.5-flash and the rest
    assert result.model == "gpt-4.1-mini"
    assert result.decision.chosen is not None
    assert result.decision.chosen.meets_bar
    text = router.describe()
    assert "openai: skipped, no OPENAI_API_KEY is set" in text
    assert "anthropic: skipped, no ANTHROPIC_API_KEY is set" in text
    keys = {c.key for c in router.candidates}
    assert {"simulated/deepseek-coder:7b", "simulated/mistral:7b"} <= keys
    assert "simulated/llama3.1:8b" not in keys  # only the local models asked for


def _defaults_with(*local: str) -> list[SimulatedModel]:
    from powertools.router.providers.simulated import DEFAULT_MODELS, local_stand_in

    return [*DEFAULT_MODELS, *(local_stand_in(m) for m in local)]


async def test_no_arguments_falls_back_to_the_simulated_models_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import powertools.router._setup as setup
    import powertools.router.providers.simulated as simulated

    setup._said_simulated = False
    caplog.set_level(logging.INFO, "powertools.router")
    router = LLMRouter()
    router._wanted = ((), None, None, 0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(simulated, "SimulatedProvider", lambda *a, **k: fast_sim(models=a[0]))
        result = await router.route(task="Generate code for: parse a CSV file", complexity=0.7)
    assert result.provider == "simulated"
    assert "SIMULATED MODELS ONLY" in router.describe()
    warnings = [r for r in caplog.records if "routing to the simulated models" in r.message]
    assert len(warnings) == 1
    LLMRouter()  # a second router does not say it again
    assert len([r for r in caplog.records if "simulated models" in r.message]) == 1


async def test_a_real_provider_is_used_and_the_simulated_ones_are_not(
    scripted: Callable[..., Any],
) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"])
    router = LLMRouter(providers=[cloud], cloud_providers=[], explore=0, rate_limits=False)
    result = await router.route(task="hi", complexity=0.5)
    assert result.provider == "openai"
    assert all(c.provider == "openai" for c in router.candidates)
    assert "SIMULATED" not in router.describe()


async def test_a_5xx_fails_over_to_the_next_candidate(scripted: Callable[..., Any]) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"], script=[503])
    router = LLMRouter(providers=[cloud], cloud_providers=[], explore=0, rate_limits=False)
    result = await router.route(task="hi", complexity=0.5)
    assert cloud.calls == ["gpt-4o-mini", "gpt-4o"]
    assert [a.outcome for a in result.attempts] == ["failed", "ok"]
    assert result.attempts[0].category == "transient"
    assert result.attempts[0].status_code == 503
    assert result.model == "gpt-4o"


async def test_401_is_tried_once_and_not_again_until_the_key_changes(
    scripted: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-old")
    bad = scripted("openai", ["gpt-4o-mini", "gpt-4o"], script=[401])
    good = scripted("anthropic", ["claude-haiku-4-5"])
    router = LLMRouter(providers=[bad, good], cloud_providers=[], explore=0, rate_limits=False)
    first = await router.route(task="hi", complexity=0.5)
    assert bad.calls == ["gpt-4o-mini"]  # not gpt-4o: the whole provider is unusable now
    assert first.provider == "anthropic"
    second = await router.route(task="hi", complexity=0.5)
    assert bad.calls == ["gpt-4o-mini"]
    assert second.provider == "anthropic"
    dropped = {d.candidate.key: d.reason for d in second.decision.dropped}
    assert "authentication failed" in dropped["openai/gpt-4o-mini"]
    assert "openai: unusable" in router.describe()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-new")
    third = await router.route(task="hi", complexity=0.5)
    assert third.provider == "openai"


async def test_permanent_errors_are_not_retried(scripted: Callable[..., Any]) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"], script=[400], retry_after=0.0)
    router = LLMRouter(providers=[cloud], cloud_providers=[], explore=0, rate_limits=False)
    result = await router.route(task="hi", complexity=0.5)
    assert cloud.calls == ["gpt-4o-mini", "gpt-4o"]
    assert result.attempts[0].category == "permanent"


async def test_429_with_a_short_retry_after_retries_the_same_model(
    scripted: Callable[..., Any],
) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"], script=[429], retry_after=0.01)
    router = LLMRouter(providers=[cloud], cloud_providers=[], explore=0, rate_limits=False)
    result = await router.route(task="hi", complexity=0.5)
    assert cloud.calls == ["gpt-4o-mini", "gpt-4o-mini"]
    assert result.model == "gpt-4o-mini"
    assert [a.category for a in result.attempts] == ["rate_limit", None]


async def test_429_with_a_retry_after_longer_than_the_deadline_fails_over_at_once(
    scripted: Callable[..., Any],
) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"], script=[429], retry_after=120.0)
    router = LLMRouter(providers=[cloud], cloud_providers=[], explore=0, rate_limits=False)
    result = await router.route(task="hi", complexity=0.5, deadline=10.0)
    assert cloud.calls == ["gpt-4o-mini", "gpt-4o"]
    assert result.model == "gpt-4o"


async def test_a_hang_is_cut_at_the_attempt_timeout_and_fails_over(
    scripted: Callable[..., Any],
) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"], script=["hang"])
    router = LLMRouter(
        providers=[cloud], cloud_providers=[], explore=0, rate_limits=False, attempt_timeout=0.05
    )
    result = await router.route(task="hi", complexity=0.5)
    assert result.attempts[0].category == "timeout"
    assert "0.05 s timeout" in result.attempts[0].reason
    assert result.model == "gpt-4o"


async def test_when_everything_fails_one_error_lists_every_attempt(
    scripted: Callable[..., Any],
) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"], script=[503, 500])
    router = LLMRouter(providers=[cloud], cloud_providers=[], explore=0, rate_limits=False)
    with pytest.raises(AllProvidersFailedError) as caught:
        await router.route(task="hi", complexity=0.5)
    text = str(caught.value)
    assert "openai/gpt-4o-mini: failed (transient)" in text
    assert "openai/gpt-4o: failed (transient)" in text
    assert len(caught.value.attempts) == 2


async def test_a_breaker_opens_and_the_engine_drops_the_model_until_it_is_probe_able(
    scripted: Callable[..., Any],
) -> None:
    clock = FakeClock()
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"], script=[503, "ok", 503])
    router = LLMRouter(
        providers=[cloud],
        cloud_providers=[],
        explore=0,
        rate_limits=False,
        breaker_threshold=2,
        breaker_recovery=30,
        clock=clock,
    )
    await router.route(task="hi", complexity=0.5)
    await router.route(task="hi", complexity=0.5)
    third = await router.route(task="hi", complexity=0.5)
    dropped = {d.candidate.key: d.reason for d in third.decision.dropped}
    assert "circuit open" in dropped["openai/gpt-4o-mini"]
    assert cloud.calls[-1] == "gpt-4o"
    assert router.stats()["openai/gpt-4o-mini"]["circuit"] == "open"
    clock.advance(31)
    fourth = await router.route(task="hi", complexity=0.5)
    assert fourth.model == "gpt-4o-mini"  # probe-able, probed, closed again
    assert router.stats()["openai/gpt-4o-mini"]["circuit"] == "closed"


async def test_the_budget_is_refused_before_anything_is_spent(
    scripted: Callable[..., Any],
) -> None:
    cloud = scripted("openai", ["gpt-4o"])
    router = LLMRouter(
        providers=[cloud],
        cloud_providers=[],
        budget_usd_per_month="0.001",
        explore=0,
        rate_limits=False,
    )
    with pytest.raises(BudgetExceededError, match=r"budget 'router-monthly' .* \$0\.001 is left"):
        await router.route(task="hi", complexity=0.5, max_tokens=2_000)
    assert cloud.calls == []


async def test_as_the_budget_tightens_the_router_takes_the_cheaper_model(
    scripted: Callable[..., Any],
) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"])
    budgets = BudgetManager()
    budgets.add("0.05", window="monthly")
    router = LLMRouter(
        providers=[cloud], cloud_providers=[], budget=budgets, explore=0, rate_limits=False
    )
    rich = await router.route(task="hi", complexity=0.8, required_quality=0.8, max_tokens=1000)
    assert rich.model == "gpt-4o"
    await budgets.reserve("0.045")  # someone else holds most of the budget now
    poor = await router.route(task="hi", complexity=0.8, required_quality=0.8, max_tokens=1000)
    assert poor.model == "gpt-4o-mini"  # degraded, but inside the budget
    dropped = {d.candidate.key: d.reason for d in poor.decision.dropped}
    assert "budget left" in dropped["openai/gpt-4o"]


async def test_a_cost_tracker_can_be_passed_in(scripted: Callable[..., Any]) -> None:
    tracker = CostTracker(budget_usd=1)
    cloud = scripted("openai", ["gpt-4o-mini"])
    router = LLMRouter(
        providers=[cloud], cloud_providers=[], budget=tracker, explore=0, rate_limits=False
    )
    result = await router.route(task="hi", complexity=0.5)
    # 100 input at $0.15/M + 50 output at $0.60/M
    assert result.cost == Decimal("0.000045")
    status = await tracker.budgets.astatus()
    assert status[0].spent == Decimal("0.000045")
    assert status[0].held == 0


async def test_a_route_inside_a_span_of_the_router_s_own_tracker_is_spent_once(
    scripted: Callable[..., Any],
) -> None:
    tracker = CostTracker(budget_usd=1)
    cloud = scripted("openai", ["gpt-4o-mini"])
    router = LLMRouter(
        providers=[cloud], cloud_providers=[], budget=tracker, explore=0, rate_limits=False
    )
    async with tracker.track_call("outer", model="gpt-4o-mini") as span:
        result = await router.route(task="hi", complexity=0.5)
    assert span.cost == result.cost == Decimal("0.000045")
    status = await tracker.budgets.astatus()
    assert status[0].spent == Decimal("0.000045")  # once: the span's exit, not the router too
    assert status[0].held == 0


async def test_a_route_inside_another_tracker_s_span_is_spent_in_both(
    scripted: Callable[..., Any],
) -> None:
    ours, theirs = CostTracker(budget_usd=1), CostTracker(budget_usd=1)
    cloud = scripted("openai", ["gpt-4o-mini"])
    router = LLMRouter(
        providers=[cloud], cloud_providers=[], budget=ours, explore=0, rate_limits=False
    )
    async with theirs.track_call("outer", model="gpt-4o-mini"):
        await router.route(task="hi", complexity=0.5)
    for tracker in (ours, theirs):
        status = await tracker.budgets.astatus()
        assert status[0].spent == Decimal("0.000045")
        assert status[0].held == 0


async def test_1000_concurrent_routes_never_overspend_the_budget() -> None:
    router = LLMRouter(
        providers=[fast_sim(models=[SimulatedModel("gpt-4o", answer_tokens=200)])],
        cloud_providers=[],
        budget_usd_per_month="0.50",
        explore=0,
        rate_limits=False,
    )

    async def one() -> Decimal:
        try:
            result = await router.route(task="write a haiku", complexity=0.5, max_tokens=400)
        except (BudgetExceededError, AllProvidersFailedError):
            return Decimal(0)
        return result.cost

    costs = await asyncio.gather(*(one() for _ in range(1000)))
    spent = sum(costs, Decimal(0))
    status = await router._layers.budget.manager.astatus()  # type: ignore[union-attr]
    assert status[0].spent == spent
    assert spent <= Decimal("0.50")
    assert status[0].held == 0
    assert sum(1 for c in costs if c) > 50  # it did route most of what fitted


async def test_route_stream_fails_over_before_the_first_token(
    scripted: Callable[..., Any],
) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"], script=[("drop", 0)])
    router = LLMRouter(providers=[cloud], cloud_providers=[], explore=0, rate_limits=False)
    stream = router.route_stream(task="hi", complexity=0.5)
    text = "".join([piece async for piece in stream])
    assert text == "the answer "
    assert stream.result is not None
    assert stream.result.model == "gpt-4o"
    assert [a.outcome for a in stream.result.attempts] == ["failed", "ok"]


async def test_route_stream_after_the_first_token_raises_with_the_partial_text(
    scripted: Callable[..., Any],
) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"], script=[("drop", 1)])
    router = LLMRouter(providers=[cloud], cloud_providers=[], explore=0, rate_limits=False)
    received: list[str] = []

    async def read() -> None:
        async for piece in router.route_stream(task="hi", complexity=0.5):
            received.append(piece)

    with pytest.raises(StreamInterruptedError) as caught:
        await read()
    assert caught.value.partial_text == "the " == "".join(received)
    assert cloud.calls == ["gpt-4o-mini"]  # no failover once text reached the caller


async def test_a_simulated_stream_dropped_mid_way_after_text_raises() -> None:
    sim = fast_sim(models=[SimulatedModel("gpt-4o-mini", failures=FailureProfile(drop_stream=1))])
    router = LLMRouter(providers=[sim], cloud_providers=[], explore=0)
    with pytest.raises(StreamInterruptedError) as caught:
        async for _ in router.route_stream(task="hi", complexity=0.5):
            pass
    assert caught.value.delivered_chars == len(caught.value.partial_text) > 0


def test_route_sync_works_in_a_script_and_refuses_inside_a_loop() -> None:
    router = LLMRouter(providers=[fast_sim()], cloud_providers=[], explore=0)
    first = router.route_sync("Say hi", complexity=0.2)
    second = router.route_sync("Say hi", complexity=0.2)  # the same loop: clients stay valid
    assert first.provider == second.provider == "simulated"

    async def inside() -> None:
        router.route_sync("Say hi")

    with pytest.raises(ConfigurationError, match=r"await router\.route"):
        asyncio.run(inside())
    router.close()


async def test_bad_arguments_say_what_is_wrong() -> None:
    router = LLMRouter(providers=[fast_sim()], cloud_providers=[], explore=0)
    with pytest.raises(ConfigurationError, match=r"complexity=1\.5 must be in"):
        await router.route(task="hi", complexity=1.5)
    with pytest.raises(ConfigurationError, match="needs something to answer"):
        await router.route()
    with pytest.raises(ConfigurationError, match="response_format="):
        await router.route(task="hi", response_format="yaml")


async def test_no_candidate_error_names_every_reason(scripted: Callable[..., Any]) -> None:
    local = scripted("ollama", ["tiny:1b"], local=True)
    # a local model whose server lists no capabilities, and no vendor documents any
    local.models_[0] = local.models_[0].__class__(
        "tiny:1b", "ollama", local=True, context_window=1_000, max_output=500
    )
    router = LLMRouter(providers=[local], cloud_providers=[], explore=0, rate_limits=False)
    with pytest.raises(NoCandidateError, match="context window 1,000 tokens"):
        await router.route(task="x" * 6_000, complexity=0.5)
    with pytest.raises(NoCandidateError, match="cannot call tools"):
        await router.route(
            task="hi", tools=[{"type": "function", "function": {"name": "f"}}], complexity=0.5
        )


async def test_stats_count_calls_errors_latency_and_cost(scripted: Callable[..., Any]) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"], script=[503])
    router = LLMRouter(providers=[cloud], cloud_providers=[], explore=0, rate_limits=False)
    await router.route(task="hi", complexity=0.5)
    await router.route(task="hi", complexity=0.5)
    stats = router.stats()
    assert stats["openai/gpt-4o-mini"]["calls"] == 2
    assert stats["openai/gpt-4o-mini"]["errors"] == {"transient": 1}
    assert stats["openai/gpt-4o"]["ok"] == 1
    assert stats["openai/gpt-4o-mini"]["p50_ttft_ms"] == 100.0
    assert stats["openai/gpt-4o-mini"]["cost_usd"] == Decimal("0.000045")


async def test_the_cache_answers_identical_requests_at_zero_cost(
    scripted: Callable[..., Any],
) -> None:
    cloud = scripted("openai", ["gpt-4o-mini"])
    router = LLMRouter(
        providers=[cloud], cloud_providers=[], explore=0, rate_limits=False, cache_ttl=60
    )
    first = await router.route(task="hi", complexity=0.5)
    again = await router.route(task="hi", complexity=0.5)
    other = await router.route(task="hi", complexity=0.5, required_quality=0.6)
    assert not first.cached
    assert again.cached
    assert not other.cached
    assert again.cost == 0
    assert again.text == first.text
    assert len(cloud.calls) == 2


async def test_hedging_sends_a_second_request_when_the_first_is_slow(
    scripted: Callable[..., Any],
) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"], script=["hang"])
    router = LLMRouter(
        providers=[cloud], cloud_providers=[], explore=0, rate_limits=False, hedge=True
    )
    await router._ready()
    for c in router.candidates:  # a tiny predicted latency, so the hedge starts at once
        router._layers.stats_of(c.key).latencies.append(0.001)
    result = await router.route(task="hi", complexity=0.5)
    assert result.model == "gpt-4o"
    outcomes = {(a.model, a.outcome, a.hedge) for a in result.attempts}
    assert ("gpt-4o", "ok", True) in outcomes
    assert ("gpt-4o-mini", "cancelled", False) in outcomes


async def test_feedback_moves_routing_away_from_a_bad_model(scripted: Callable[..., Any]) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"])
    router = LLMRouter(providers=[cloud], cloud_providers=[], explore=0, rate_limits=False)
    first = await router.route(task="hi", complexity=0.7)
    assert first.model == "gpt-4o-mini"
    for _ in range(3):
        router.feedback(first, 0.0)
    second = await router.route(task="hi", complexity=0.7)
    assert second.model == "gpt-4o"


async def test_a_logger_gets_one_event_per_attempt_and_per_route(
    scripted: Callable[..., Any],
) -> None:
    events: list[tuple[str, dict[str, Any]]] = []

    class Logger:
        def info(self, event: str, /, **fields: Any) -> None:
            events.append((event, fields))

    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"], script=[503])
    router = LLMRouter(
        providers=[cloud], cloud_providers=[], explore=0, rate_limits=False, logger=Logger()
    )
    result = await router.route(task="hi", complexity=0.5)
    assert [e for e, _ in events] == ["router.attempt", "router.attempt", "router.route"]
    assert {f["trace_id"] for _, f in events} == {result.trace_id}


async def test_an_open_cost_span_records_the_routes_usage(scripted: Callable[..., Any]) -> None:
    tracker = CostTracker()
    cloud = scripted("openai", ["gpt-4o-mini"])
    local = scripted("ollama", ["qwen2.5-coder:7b"], local=True)
    router = LLMRouter(providers=[cloud, local], cloud_providers=[], explore=0, rate_limits=False)
    async with tracker.track_call("code_gen"):
        await router.route(task="hi", complexity=0.9)  # degraded: the cloud model
        await router.route(task="hi", complexity=0.1)  # the free local one
    assert tracker.get_total() == Decimal("0.000045")
    assert [r.model for r in tracker.records] == ["gpt-4o-mini", "qwen2.5-coder:7b"]


async def test_when_concurrent_holds_take_the_budget_the_refusal_names_it(
    scripted: Callable[..., Any],
) -> None:
    budgets = BudgetManager()
    budgets.add("0.01", window="monthly", name="team")
    cloud = scripted("openai", ["gpt-4o-mini"])
    router = LLMRouter(
        providers=[cloud], cloud_providers=[], budget=budgets, explore=0, rate_limits=False
    )
    await router._ready()
    decision_budget = await router._layers.budget.headroom_fd()
    assert decision_budget is not None
    # another caller takes the budget between this route's decision and its hold
    original = router._layers.budget.hold

    async def hold_after_someone_else(amount_fd: int, **kw: Any) -> Any:
        await budgets.reserve("0.0099")
        return await original(amount_fd, **kw)

    router._layers.budget.hold = hold_after_someone_else  # type: ignore[method-assign]
    with pytest.raises(BudgetExceededError, match="budget 'team' cannot fit this call"):
        await router.route(task="hi", complexity=0.5, max_tokens=1000)
    assert cloud.calls == []


async def test_without_an_attempt_timeout_a_hang_is_cut_at_the_routes_deadline(
    scripted: Callable[..., Any],
) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"], script=["hang"])
    router = LLMRouter(providers=[cloud], cloud_providers=[], explore=0, rate_limits=False)
    with pytest.raises(AllProvidersFailedError) as caught:
        await router.route(task="hi", complexity=0.5, deadline=0.05)
    first, second = caught.value.attempts
    assert (first.model, first.category) == ("gpt-4o-mini", "timeout")
    assert (second.model, second.outcome, second.category) == ("gpt-4o", "skipped", "deadline")
    assert cloud.calls == ["gpt-4o-mini"]


async def test_a_cancelled_route_gives_its_budget_hold_back(scripted: Callable[..., Any]) -> None:
    cloud = scripted("openai", ["gpt-4o-mini"], script=["hang"])
    router = LLMRouter(
        providers=[cloud], cloud_providers=[], budget_usd_per_month=1, explore=0, rate_limits=False
    )
    task = asyncio.ensure_future(router.route(task="hi", complexity=0.5))
    while not cloud.calls:  # noqa: ASYNC110  (the fake has a call log, not an event)
        await asyncio.sleep(0)
    status = await router._layers.budget.manager.astatus()  # type: ignore[union-attr]
    assert status[0].held > 0
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    status = await router._layers.budget.manager.astatus()  # type: ignore[union-attr]
    assert status[0].held == 0
    assert status[0].spent == 0


async def test_a_family_whose_key_is_set_is_used_and_simulated_can_be_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from powertools.router import _setup

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-0000000000000000")
    setup = await _setup.resolve(
        providers=[], local_models=None, cloud_providers=None, seed=0
    )  # auto: every family whose key is set
    assert [p.name for p in setup.providers] == ["openai"]
    assert "openai: used" in setup.notes
    assert not setup.simulated
    asked = await _setup.resolve(
        providers=[], local_models=None, cloud_providers=["simulated"], seed=0
    )
    assert [p.name for p in asked.providers] == ["simulated"]
    assert not asked.simulated  # asked for, not a fallback: no warning
    for provider in (*setup.providers, *asked.providers):
        await provider.aclose()


async def test_two_providers_with_one_name_are_refused(scripted: Callable[..., Any]) -> None:
    router = LLMRouter(
        providers=[scripted("openai", ["gpt-4o"]), scripted("openai", ["gpt-4o-mini"])],
        cloud_providers=[],
    )
    with pytest.raises(ConfigurationError, match="two providers are named 'openai'"):
        await router.route(task="hi")


async def test_when_the_first_and_its_hedge_both_fail_the_route_moves_on(
    scripted: Callable[..., Any],
) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4.1-mini", "gpt-4o"], script=["hang", 503])
    router = LLMRouter(
        providers=[cloud],
        cloud_providers=[],
        explore=0,
        rate_limits=False,
        hedge=True,
        attempt_timeout=0.1,
    )
    await router._ready()
    for c in router.candidates:
        router._layers.stats_of(c.key).latencies.append(0.001)
    result = await router.route(task="hi", complexity=0.5)
    assert result.model == "gpt-4o"
    failed = {(a.model, a.category, a.hedge) for a in result.attempts if a.outcome == "failed"}
    assert failed == {("gpt-4o-mini", "timeout", False), ("gpt-4.1-mini", "transient", True)}


async def test_a_shared_cache_store_answers_another_router(scripted: Callable[..., Any]) -> None:
    import uuid

    store = f"memory://router-cache-{uuid.uuid4().hex[:8]}"
    first_cloud = scripted("openai", ["gpt-4o-mini"], text="cached answer")
    first = LLMRouter(
        providers=[first_cloud], cloud_providers=[], explore=0, rate_limits=False,
        cache_ttl=60, cache_store=store,
    )  # fmt: skip
    other_cloud = scripted("openai", ["gpt-4o-mini"], text="fresh answer")
    other = LLMRouter(
        providers=[other_cloud], cloud_providers=[], explore=0, rate_limits=False,
        cache_ttl=60, cache_store=store,
    )  # fmt: skip
    original = await first.route(task="hi", complexity=0.5)
    shared = await other.route(task="hi", complexity=0.5)
    assert not original.cached
    assert shared.cached
    assert shared.text == "cached answer"
    assert shared.cost == 0
    assert shared.usage == original.usage
    assert other_cloud.calls == []


def _hedging_router(cloud: Any) -> LLMRouter:
    return LLMRouter(
        providers=[cloud], cloud_providers=[], explore=0, rate_limits=False, hedge=True
    )


async def _hedge_at_once(router: LLMRouter) -> None:
    await router._ready()
    for c in router.candidates:  # a tiny predicted latency, so the hedge starts at once
        router._layers.stats_of(c.key).latencies.append(0.001)


async def test_when_the_first_fails_after_the_hedge_was_sent_the_hedge_s_answer_wins(
    scripted: Callable[..., Any],
) -> None:
    from powertools.router import ProviderError

    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"])
    hedge_sent, first_failed = asyncio.Event(), asyncio.Event()
    answer = cloud.complete

    async def complete(request: Any) -> Any:
        if request.model == "gpt-4o-mini":
            await hedge_sent.wait()
            first_failed.set()
            raise ProviderError("scripted HTTP 503", provider="openai", model=request.model,
                                status_code=503)  # fmt: skip
        hedge_sent.set()
        await first_failed.wait()
        return await answer(request)

    cloud.complete = complete
    router = _hedging_router(cloud)
    await _hedge_at_once(router)
    result = await router.route(task="hi", complexity=0.5)
    assert result.model == "gpt-4o"
    assert [(a.model, a.outcome, a.hedge) for a in result.attempts] == [
        ("gpt-4o-mini", "failed", False),
        ("gpt-4o", "ok", True),
    ]
    assert result.attempts[0].status_code == 503


async def test_when_both_answer_in_the_same_instant_both_are_paid_and_the_first_wins(
    scripted: Callable[..., Any],
) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"])
    hedge_sent = asyncio.Event()
    answer = cloud.complete

    async def complete(request: Any) -> Any:
        if request.model == "gpt-4o-mini":
            await hedge_sent.wait()
        else:
            hedge_sent.set()
        return await answer(request)

    cloud.complete = complete
    router = _hedging_router(cloud)
    await _hedge_at_once(router)
    result = await router.route(task="hi", complexity=0.5)
    assert result.model == "gpt-4o-mini"
    assert [(a.model, a.outcome, a.hedge) for a in result.attempts] == [
        ("gpt-4o-mini", "ok", False),
        ("gpt-4o", "ok", True),
    ]
    assert all(a.cost > 0 for a in result.attempts)
    assert result.cost == sum(a.cost for a in result.attempts)


async def test_with_hedging_on_a_first_answer_within_its_p95_sends_no_hedge(
    scripted: Callable[..., Any],
) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"])
    router = _hedging_router(cloud)
    await router._ready()
    for c in router.candidates:  # a p95 far beyond the immediate answer
        router._layers.stats_of(c.key).latencies.append(60.0)
    result = await router.route(task="hi", complexity=0.5)
    assert cloud.calls == ["gpt-4o-mini"]
    assert [(a.model, a.outcome, a.hedge) for a in result.attempts] == [
        ("gpt-4o-mini", "ok", False)
    ]


@pytest.mark.parametrize("deadline", [0, -1.0, float("nan")])
def test_a_deadline_that_is_not_positive_is_refused(deadline: float) -> None:
    with pytest.raises(ConfigurationError, match=r"deadline=.* must be a positive number"):
        LLMRouter(providers=[fast_sim()], cloud_providers=[], deadline=deadline)


async def test_after_a_401_the_provider_s_other_models_are_skipped_in_the_same_route(
    scripted: Callable[..., Any],
) -> None:
    bad = scripted("openai", ["gpt-4o-mini", "gpt-4o"], script=[401])
    router = LLMRouter(providers=[bad], cloud_providers=[], explore=0, rate_limits=False)
    with pytest.raises(AllProvidersFailedError) as caught:
        await router.route(task="hi", complexity=0.5)
    assert bad.calls == ["gpt-4o-mini"]
    first, second = caught.value.attempts
    assert (first.model, first.outcome, first.status_code) == ("gpt-4o-mini", "failed", 401)
    assert (second.model, second.outcome) == ("gpt-4o", "skipped")
    assert "authentication failed (HTTP 401)" in second.reason


def test_close_without_a_sync_call_does_nothing_and_can_be_repeated() -> None:
    router = LLMRouter(providers=[fast_sim()], cloud_providers=[], explore=0)
    router.close()
    router.close()
    assert router.route_sync("Say hi", complexity=0.2).provider == "simulated"
    router.close()


async def test_a_stream_that_ends_without_its_final_response_is_interrupted_not_complete(
    scripted: Callable[..., Any],
) -> None:
    from powertools.router import Chunk

    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"])

    async def unfinished(request: Any) -> Any:
        cloud.calls.append(request.model)
        yield Chunk(reasoning="Thinking first.")  # no text: nothing reaches the caller
        yield Chunk(text="half an ")

    cloud.stream = unfinished
    router = LLMRouter(providers=[cloud], cloud_providers=[], explore=0, rate_limits=False)
    received: list[str] = []

    async def read() -> None:
        async for piece in router.route_stream(task="hi", complexity=0.5):
            received.append(piece)

    with pytest.raises(StreamInterruptedError, match="ended without its final response") as e:
        await read()
    assert received == ["half an "]
    assert e.value.partial_text == "half an "
    assert cloud.calls == ["gpt-4o-mini"]


async def test_a_monthly_limit_is_added_to_the_budget_manager_passed_in(
    scripted: Callable[..., Any],
) -> None:
    manager = BudgetManager()
    manager.add("50", window="daily", name="team-daily")
    cloud = scripted("openai", ["gpt-4o-mini"])
    router = LLMRouter(
        providers=[cloud], cloud_providers=[], explore=0, rate_limits=False,
        budget=manager, budget_usd_per_month="10",
    )  # fmt: skip
    result = await router.route(task="hi", complexity=0.5)
    spent = {s.budget.name: (s.budget.limit, s.spent) for s in manager.status()}
    assert spent == {
        "team-daily": (Decimal(50), result.cost),
        "router-monthly": (Decimal(10), result.cost),
    }

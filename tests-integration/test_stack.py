"""One route through the whole stack: every layer of the call lifecycle, under one trace id."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from powertools import Stack, StackConfigError
from powertools.cost import BudgetExceededError
from powertools.router.providers.simulated import (
    DEFAULT_MODELS,
    FailureProfile,
    SimulatedProvider,
)

LAYERS = [
    "stack.route.start",
    "stack.ratelimit",
    "router.attempt",
    "router.route",
    "stack.cost",
    "stack.session",
    "stack.route.done",
]


def _stack(tmp_path: Path, sim: SimulatedProvider, **cost: Any) -> Stack:
    return Stack.from_config(
        overrides={
            "cost": {"ledger": f"sqlite:///{tmp_path / 'ledger.db'}", **cost},
            "logging": {"name": "stack-test", "sinks": [f"sqlite:///{tmp_path / 'events.db'}"]},
            "session": {"name": "chat", "store": f"file://{tmp_path / 'sessions'}"},
            "ratelimit": {"requests_per_minute": 600},
            "router": {"local_models": [], "cloud_providers": []},
        },
        objects={"router": {"providers": [sim]}},
        env={},
        cwd=None,
    )


@pytest.fixture
def sim() -> SimulatedProvider:
    return SimulatedProvider(seed=3, latency_scale=0)


def test_one_route_passes_every_layer_under_one_trace_id(
    tmp_path: Path, sim: SimulatedProvider
) -> None:
    stack = _stack(tmp_path, sim, budget_usd_per_month=10)
    result = stack.route_sync(
        "Write a function that merges two sorted lists.",
        complexity=0.7,
        task_name="code",
        user="ada",
        trace_id="t-1",
        max_tokens=100,
    )
    assert result.provider == "simulated"
    assert result.cost > 0
    # the budget was spent once (by the router's hold and commit), the call recorded once
    assert stack.cost.get_daily_report().remaining == Decimal(10) - result.cost
    assert [(r.task, r.user, r.model, r.cost) for r in stack.cost.records] == [
        ("code", "ada", result.model, result.cost)
    ]
    events = stack.logger.query(filters={"trace_id": "t-1"})
    assert [e.event for e in events] == LAYERS
    assert {e.trace_id for e in events} == {"t-1"}
    assert stack.session.get("history")[-1]["trace_id"] == "t-1"
    admitted = events[LAYERS.index("stack.ratelimit")]
    assert admitted["priority"] == "normal"
    assert admitted["waited_s"] >= 0
    assert stack.stats.routes == 1
    stack.close()
    # another process sees the same ledger and session
    again = _stack(tmp_path, sim, budget_usd_per_month=10)
    assert len(asyncio.run(again.cost.ledger.records())) == 1
    assert again.session.get("history")[-1]["model"] == result.model
    again.close()


def test_an_outage_fails_over_and_the_trace_shows_both_attempts(
    tmp_path: Path, sim: SimulatedProvider
) -> None:
    stack = _stack(tmp_path, sim)
    first = stack.route_sync("Summarise the notes.", complexity=0.4, max_tokens=50)
    sim.set_failures(first.model, FailureProfile(server_error=1.0))
    second = stack.route_sync("Summarise the notes.", complexity=0.4, max_tokens=50, trace_id="t-2")
    assert second.model != first.model
    outcomes = [(a.model, a.outcome) for a in second.attempts]
    assert (first.model, "failed") in outcomes
    attempts = stack.logger.query("router.attempt", filters={"trace_id": "t-2"})
    assert len(attempts) == len(second.attempts)
    stack.close()


def test_a_budget_that_cannot_fit_the_call_refuses_before_spending(tmp_path: Path) -> None:
    cloud = SimulatedProvider([m for m in DEFAULT_MODELS if not m.local], latency_scale=0)
    stack = _stack(tmp_path, cloud, budget_usd_per_month="0.0000001")
    with pytest.raises(BudgetExceededError):
        stack.route_sync("Prove the theorem.", complexity=0.95, max_tokens=4000, trace_id="t-3")
    assert stack.cost.records == []
    assert stack.stats.errors_by_type == {"BudgetExceededError": 1}
    assert [e.event for e in stack.logger.query(filters={"trace_id": "t-3"})][-1] == (
        "stack.route.error"
    )
    stack.close()


def test_a_stack_from_a_powertools_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "powertools.toml").write_text(
        "[cost]\nbudget_usd_per_month = 3\n"
        f"[logging]\nsinks = ['sqlite:///{tmp_path / 'e.db'}']\n"
        "[session]\nstore = 'memory://stack-toml'\n"
        "[router]\nlocal_models = []\ncloud_providers = []\ndeadline = 7.5\n"
    )
    stack = Stack.from_config(cwd=tmp_path, env={})
    assert stack.cost.get_daily_report().remaining == Decimal(3)
    assert stack.router.deadline == 7.5
    assert stack.config.sources["router.deadline"] == str(tmp_path / "powertools.toml")
    stack.close()
    monkeypatch.setenv("POWERTOOLS_ROUTER_DEADLINE", "soon")
    with pytest.raises(StackConfigError, match="POWERTOOLS_ROUTER_DEADLINE") as info:
        Stack.from_config(cwd=tmp_path)
    assert info.value.key == "router.deadline"


def test_a_missing_part_names_the_distribution(tmp_path: Path, sim: SimulatedProvider) -> None:
    stack = Stack({"router": object()})
    with pytest.raises(KeyError, match="install powertools-session"):
        _ = stack.session


def test_the_concurrency_slot_is_freed_after_each_route(
    tmp_path: Path, sim: SimulatedProvider
) -> None:
    stack = Stack.from_config(
        overrides={
            "logging": {"sinks": [f"sqlite:///{tmp_path / 'e.db'}"]},
            "session": {"store": "memory://slot-test"},
            "ratelimit": {"max_concurrent": 1},
            "router": {"local_models": [], "cloud_providers": []},
        },
        objects={"router": {"providers": [sim]}},
        env={},
        cwd=None,
    )

    async def three() -> list[Any]:
        # a slot that stayed taken would block the second route for ever: the wait_for turns
        # that hang into a failure
        return [
            await asyncio.wait_for(stack.route("Say hi.", complexity=0.1, max_tokens=8), 60)
            for _ in range(3)
        ]

    assert len(asyncio.run(three())) == 3
    stack.close()


def test_a_span_of_the_stack_s_own_tracker_around_a_route_spends_once(tmp_path: Path) -> None:
    cloud = SimulatedProvider([m for m in DEFAULT_MODELS if not m.local], latency_scale=0)
    stack = _stack(tmp_path, cloud, budget_usd_per_month=10)

    async def inside_a_span() -> Any:
        async with stack.cost.track_call("outer", user="ada"):
            return await stack.route("Write code.", complexity=0.7, max_tokens=100)

    result = asyncio.run(inside_a_span())
    assert len(stack.cost.records) == 1  # the stack left the record to the span
    assert stack.cost.get_daily_report().remaining == Decimal(10) - result.cost
    stack.close()

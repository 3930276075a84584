"""Learning: posteriors move with outcomes, exploration is bounded, sharing loses no update."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

import pytest

from powertools.router import ConfigurationError, Learner, LLMRouter, SessionLearningStore
from powertools.router._learning import band


def workload_router(scripted: Callable[..., Any], explore: float, seed: int = 0) -> LLMRouter:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"])
    return LLMRouter(
        providers=[cloud], cloud_providers=[], explore=explore, rate_limits=False, seed=seed
    )


async def test_a_model_that_silently_fails_hard_tasks_loses_them(
    scripted: Callable[..., Any],
) -> None:
    # gpt-4o-mini is cheaper and its prior (0.74) clears the bar of 0.7, but it fails every
    # hard task; gpt-4o does them well. Feedback says so after each answer.
    router = workload_router(scripted, explore=0.1)
    sent_to_mini: list[bool] = []
    rng = random.Random(1)
    for _ in range(200):
        hard = rng.random() < 0.5
        complexity = 0.85 if hard else 0.3
        result = await router.route(task="task", complexity=complexity, required_quality=0.7)
        mini = result.model == "gpt-4o-mini"
        router.feedback(result, 0.0 if (mini and hard) else 1.0)
        if hard:
            sent_to_mini.append(mini)
    assert sent_to_mini[0]  # it started on the cheap model
    later = sent_to_mini[10:]  # after at most 10 hard tasks (and their feedback)...
    assert sum(later) / len(later) < 0.10  # ...fewer than 10 % of hard tasks go to it
    easy = router.learner.mean("openai/gpt-4o-mini", 0.74, complexity=0.3)
    assert easy > 0.74  # and it keeps the easy ones, where it does well


async def test_with_exploration_off_decisions_are_deterministic(
    scripted: Callable[..., Any],
) -> None:
    async def run(seed: int) -> list[str]:
        router = workload_router(scripted, explore=0.0, seed=seed)
        models = []
        for i in range(30):
            result = await router.route(task="t", complexity=0.85, required_quality=0.7)
            router.feedback(result, 1.0 if i % 3 else 0.0)
            models.append(result.model)
        return models

    assert await run(1) == await run(2)


def test_exploration_never_exceeds_its_share() -> None:
    learner = Learner(explore=0.05)
    explored = sum(learner.should_explore() for _ in range(10_000))
    assert 0 < explored <= 500
    assert not any(Learner(explore=0).should_explore() for _ in range(1_000))


def test_posteriors_start_at_the_prior_and_move_with_evidence() -> None:
    learner = Learner(explore=0)
    assert learner.mean("k", 0.8, complexity=0.5) == 0.8
    for _ in range(20):
        learner.update("k", 0.5, 1.0)
    assert learner.mean("k", 0.8, complexity=0.5) > 0.9
    assert learner.mean("k", 0.8, complexity=0.9) == pytest.approx(0.78)  # another band
    assert learner.spread("k", 0.8, complexity=0.5) < learner.spread("k", 0.8, complexity=0.9)
    with pytest.raises(ConfigurationError):
        learner.update("k", 0.5, 1.5)
    with pytest.raises(ConfigurationError):
        Learner(explore=2)
    assert [band(c) for c in (0.0, 0.2, 0.99)] == [0, 1, 4]


async def test_a_fleet_sharing_one_store_loses_no_update() -> None:
    store_a = SessionLearningStore("memory://learning-cas", name="fleet")
    store_b = SessionLearningStore("memory://learning-cas", name="fleet")
    a, b = Learner(explore=0, store=store_a), Learner(explore=0, store=store_b)

    async def feed(learner: Learner, n: int) -> None:
        for _ in range(n):
            learner.update("p/m", 0.5, 1.0)
            await learner.sync()

    await asyncio.gather(feed(a, 40), feed(b, 60))
    reader = Learner(explore=0, store=SessionLearningStore("memory://learning-cas", name="fleet"))
    await reader.sync()
    assert reader.snapshot()["p/m|2"] == [100.0, 0.0]


async def test_a_router_persists_feedback_to_its_learning_store(
    scripted: Callable[..., Any],
) -> None:
    cloud = scripted("openai", ["gpt-4o-mini"])
    router = LLMRouter(
        providers=[cloud],
        cloud_providers=[],
        rate_limits=False,
        explore=0,
        learning_store="memory://router-persist",
        name="persist",
    )
    result = await router.route(task="t", complexity=0.5)
    await router.afeedback(result, 0.0)
    fresh = LLMRouter(
        providers=[scripted("openai", ["gpt-4o-mini"])],
        cloud_providers=[],
        rate_limits=False,
        explore=0,
        learning_store="memory://router-persist",
        name="persist",
    )
    await fresh._ready()
    assert fresh.learner.snapshot()["openai/gpt-4o-mini|2"] == [0.0, 1.0]


class InFlightStore:
    """A learning store whose write runs ``during`` before it lands, or fails with ``error``."""

    def __init__(self, error: Exception | None = None) -> None:
        self.evidence: dict[str, Any] = {}
        self.error = error
        self.during: Callable[[], None] = lambda: None

    async def load(self) -> tuple[dict[str, Any], int]:
        return dict(self.evidence), len(self.evidence)

    async def swap(self, evidence: dict[str, Any], expected: int) -> int:
        self.during()
        if self.error is not None:
            raise self.error
        self.evidence = dict(evidence)
        return expected + 1


async def test_without_a_store_sync_keeps_the_evidence_in_this_process() -> None:
    learner = Learner(explore=0)
    learner.update("p/m", 0.5, 1.0)
    await learner.sync()
    assert not learner.dirty
    assert learner.snapshot() == {"p/m|2": [1.0, 0.0]}


async def test_evidence_added_while_a_write_is_in_flight_stays_pending_for_the_next() -> None:
    store = InFlightStore()
    learner = Learner(explore=0, store=store)
    learner.update("p/m", 0.5, 1.0)
    store.during = lambda: learner.update("p/m", 0.5, 0.0)
    await learner.sync()
    assert store.evidence == {"p/m|2": [1.0, 0.0]}
    assert learner.dirty
    store.during = lambda: None
    await learner.sync()
    assert store.evidence == {"p/m|2": [1.0, 1.0]}
    assert not learner.dirty


async def test_a_store_that_fails_for_another_reason_than_a_conflict_raises_it() -> None:
    store = InFlightStore(error=PermissionError("read-only store"))
    learner = Learner(explore=0, store=store)
    learner.update("p/m", 0.5, 1.0)
    with pytest.raises(PermissionError, match="read-only store"):
        await learner.sync()
    assert learner.dirty  # nothing was lost: it is written by the next sync
    assert learner.snapshot() == {"p/m|2": [1.0, 0.0]}


async def test_a_session_learning_store_closes_its_backend() -> None:
    store = SessionLearningStore("memory://learning-close", name="close")
    learner = Learner(explore=0, store=store)
    learner.update("p/m", 0.5, 1.0)
    await learner.sync()
    await store.aclose()
    reader = Learner(explore=0, store=SessionLearningStore("memory://learning-close", name="close"))
    await reader.sync()
    assert reader.snapshot() == {"p/m|2": [1.0, 0.0]}

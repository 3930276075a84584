"""A real llama.cpp server as the router's local candidate: a route that should stay local does."""

from __future__ import annotations

import pytest

from powertools.router import LLMRouter, SimulatedModel, SimulatedProvider
from powertools.router.providers.llamacpp import LlamaCppProvider

pytestmark = pytest.mark.integration


def router_for(llama_server: str) -> LLMRouter:
    cloud = SimulatedProvider([SimulatedModel("gpt-4o-mini")], latency_scale=0)
    return LLMRouter(
        providers=[LlamaCppProvider(base_url=llama_server), cloud],
        cloud_providers=[],
        budget_usd_per_month=10,
        explore=0,
    )


async def test_an_easy_task_stays_on_the_local_server(llama_server: str) -> None:
    router = router_for(llama_server)
    result = await router.route(task="Once upon a time", complexity=0.1, max_tokens=16)
    assert result.provider == "llamacpp"
    assert result.cost == 0
    assert result.text
    assert 0 < result.usage.output <= 16
    local = [c for c in router.candidates if c.local]
    assert [c.provider for c in local] == ["llamacpp"]
    assert "llamacpp/" in router.describe()


async def test_a_hard_task_goes_to_the_cloud_and_a_long_one_does_not_fit_locally(
    llama_server: str,
) -> None:
    router = router_for(llama_server)
    hard = await router.route(task="Prove the lemma", complexity=0.9, max_tokens=16)
    assert hard.provider == "simulated"
    long = await router.route(task="word " * 400, complexity=0.1, max_tokens=16)
    dropped = {d.candidate.provider: d.reason for d in long.decision.dropped}
    assert "context window 256 tokens" in dropped["llamacpp"]
    assert long.provider == "simulated"

"""describe() and explain(): what the router uses, and why each candidate ranked where it did."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from powertools.router import LLMRouter, SimulatedProvider


async def test_describe_lists_providers_candidates_budget_and_options(
    scripted: Callable[..., Any],
) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "unpriced-model"])
    router = LLMRouter(
        providers=[cloud], cloud_providers=["anthropic"], budget_usd_per_month=25, explore=0
    )
    assert "not started yet" in router.describe()
    await router.route(task="hi", complexity=0.5)
    text = router.describe()
    assert "anthropic: skipped" in text
    assert "openai/gpt-4o-mini" in text
    assert "$0.15/$0.6 per M" in text
    assert "skipped openai/unpriced-model" in text
    assert "router-monthly $25" in text
    assert "exploration off" in text


async def test_explain_names_every_candidate_with_its_numbers() -> None:
    router = LLMRouter(
        providers=[SimulatedProvider(latency_scale=0)], cloud_providers=[], explore=0
    )
    result = await router.route(
        task="Generate Python function", complexity=0.6, required_quality=0.8, max_tokens=1000
    )
    text = result.decision.explain()
    assert text.splitlines()[1].startswith("chose simulated/gpt-4.1-mini: the cheapest of 5")
    for c in router.candidates:
        assert c.key in text
    assert "below the quality bar (0.74 < 0.80)" in text

"""Every example in ``examples/`` runs and prints what the docs show."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"
EXPECTED = {
    "route_basics.py": [
        "Provider used: simulated/gpt-4.1-mini",
        "Cost: $0.0001288",
        "chose simulated/gpt-4.1-mini: the cheapest of 5 that meet the bar, confidence 0.50",
        "An easy task stays local: qwen2.5-coder:7b for $0",
    ],
    "failover.py": [
        "answered by gpt-4.1-mini after: gpt-4o-mini failed, gpt-4.1-mini ok",
        "answered by gpt-4.1-mini after: gpt-4o-mini failed, gpt-4.1-mini ok",
        "answered by gpt-4.1-mini after: gpt-4.1-mini ok",
        "circuit of gpt-4o-mini: open",
    ],
    "feedback.py": ["first choice: gpt-4o-mini", "after feedback: gpt-4.1-mini"],
    "streaming.py": ["20 pieces from qwen2.5-coder:7b, cost $0"],
}


@pytest.fixture(autouse=True)
def _no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    assert capsys.readouterr().out.splitlines() == EXPECTED[name]


def test_every_example_is_tested() -> None:
    # the providers_*.py examples are the provider pages' and run in test_provider_examples.py
    routing = {p.name for p in EXAMPLES.glob("*.py") if not p.name.startswith("providers_")}
    assert routing == set(EXPECTED)


def test_the_worked_explain_in_the_docs_is_what_the_router_prints() -> None:
    import asyncio

    from powertools.router import LLMRouter, SimulatedProvider

    docs = Path(__file__).parents[3] / "docs" / "router" / "decision.md"
    text = docs.read_text()
    shown = text.split("<!-- explain:start -->\n```text\n", 1)[1].split("```", 1)[0]
    router = LLMRouter(
        providers=[SimulatedProvider(latency_scale=0)], budget_usd_per_month=100, explore=0
    )
    result = asyncio.run(
        router.route(
            task="Generate Python function",
            complexity_score=0.6,
            required_quality=0.8,
            max_tokens=1000,
        )
    )
    assert result.decision.explain() + "\n" == shown

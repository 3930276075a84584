"""The spec's router examples, run as written (on the simulated models: no keys, no servers)."""

from __future__ import annotations

import logging

import pytest

NO_KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")


@pytest.fixture(autouse=True)
def _no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NO_KEYS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")  # nothing listens there


async def test_component_1_code_example(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "powertools.router")
    from powertools import LLMRouter

    router = LLMRouter(
        local_models=["deepseek-coder:7b", "mistral:7b"],
        cloud_providers=["openai", "anthropic"],
        budget_usd_per_month=100,
    )

    # Simple routing
    result = await router.route(
        task="Generate Python function", complexity_score=0.6, required_quality=0.8
    )

    # Monitoring
    print(f"Provider used: {result.provider}")
    print(f"Cost: ${result.cost}")
    print(f"Latency: {result.latency_ms}ms")

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Provider used: simulated"
    assert out[1].startswith("Cost: $0.0")
    assert out[2].startswith("Latency: ")
    assert out[2].endswith("ms")
    assert any("openai: skipped, no OPENAI_API_KEY is set" in r.message for r in caplog.records)
    assert "SIMULATED MODELS ONLY" in router.describe()


async def test_all_components_work_together_router_part() -> None:
    from powertools import LLMRouter

    router = LLMRouter()
    result = await router.route(task="Generate code for: parse a CSV file", complexity=0.7)
    assert result.text
    assert result.decision.chosen is not None
    assert result.decision.chosen.quality >= 0.7

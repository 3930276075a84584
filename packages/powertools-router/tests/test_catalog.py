"""The catalogue: prices from powertools.cost, documented priors, overrides, estimates."""

from __future__ import annotations

import pytest

from powertools.cost import UnknownModelError, price_for
from powertools.router import QUALITY_PRIORS, Catalog, ConfigurationError, ModelInfo, Request
from powertools.router._catalog import (
    estimate_complexity,
    estimate_prompt_tokens,
    quality_at,
    quality_prior,
    size_prior,
)


def test_prices_come_from_powertools_cost() -> None:
    c = Catalog().candidate(ModelInfo("gpt-4o", "openai"))
    assert c.price == price_for("gpt-4o")
    assert c.context_window == 128_000  # from the price data when the provider is silent
    assert c.worst_case_fd(1_000, 500) == price_for("gpt-4o").worst_case_fd(1_000, 500)
    assert c.expected_cost_fd(1_000, 500) == 1_000 * c.input_fd + 500 * c.output_fd


def test_a_tiered_price_uses_the_prompts_tier() -> None:
    c = Catalog().candidate(ModelInfo("claude-sonnet-4-5", "anthropic"))
    big = 300_000
    assert c.worst_case_fd(big, 100) == price_for("claude-sonnet-4-5").worst_case_fd(big, 100)
    assert c.expected_cost_fd(big, 0) > big * c.input_fd  # above 200k tokens the tier is dearer


def test_a_local_model_nobody_priced_is_free_and_an_unpriced_cloud_one_is_an_error() -> None:
    local = Catalog().candidate(ModelInfo("mistral:7b", "simulated", local=True))
    assert local.worst_case_fd(10_000, 10_000) == 0
    with pytest.raises(UnknownModelError):
        Catalog().candidate(ModelInfo("mystery-cloud-model", "somecloud"))


def test_every_prior_has_a_source_and_is_in_range() -> None:
    assert all(0 < q < 1 and len(source) > 10 for _, q, source in QUALITY_PRIORS)
    assert len({prefix for prefix, _, _ in QUALITY_PRIORS}) == len(QUALITY_PRIORS)


def test_the_longest_prefix_wins_and_unknown_local_models_are_sized() -> None:
    assert quality_prior("gpt-4o-mini", local=False) == 0.74
    assert quality_prior("gpt-4o-2024-08-06", local=False) == 0.86
    assert quality_prior("openai/gpt-4.1-nano", local=False) == 0.68
    assert quality_prior("brand-new-70b", local=True) > quality_prior("brand-new-7b", local=True)
    assert size_prior(7_000_000_000, "Q2_K") < size_prior(7_000_000_000, "Q8_0")


def test_overrides_replace_catalogue_numbers_and_bad_ones_are_refused() -> None:
    catalog = Catalog({"gpt-4o": {"quality": 0.99}, "openai/gpt-4o-mini": {"ttft": 0.1}})
    assert catalog.candidate(ModelInfo("gpt-4o", "openai")).quality == 0.99
    mini = catalog.candidate(ModelInfo("gpt-4o-mini", "openai"))
    assert mini.ttft == 0.1
    assert mini.source == "your override"
    with pytest.raises(ConfigurationError, match="unknown fields"):
        Catalog({"gpt-4o": {"qualty": 0.9}})


def test_a_cold_local_model_pays_its_load_time() -> None:
    warm = Catalog().candidate(ModelInfo("llama3.1:8b", "ollama", local=True, loaded=True))
    cold = Catalog().candidate(
        ModelInfo("llama3.1:8b", "ollama", local=True, loaded=False, size_bytes=4_000_000_000)
    )
    assert cold.ttft == pytest.approx(warm.ttft + 2.0)


def test_quality_falls_beyond_a_models_level() -> None:
    assert quality_at(0.9, 0.5) == 0.9
    assert quality_at(0.5, 1.0) == pytest.approx(0.4)


def test_the_complexity_heuristic_orders_tasks_sensibly() -> None:
    easy = estimate_complexity("Translate 'hello' to French")
    medium = estimate_complexity("Write a Python function that parses a CSV file")
    hard = estimate_complexity(
        "Design a distributed lock, prove it is safe, and analyse the trade-offs " * 5
    )
    assert easy < medium < hard
    assert easy >= 0.0
    assert hard <= 1.0
    assert estimate_complexity("x", tools=2) > estimate_complexity("x")


def test_the_prompt_estimate_errs_high() -> None:
    from powertools.cost import count_message_tokens

    text = "Write a Python function that parses a CSV file and returns the rows. " * 20
    estimate = estimate_prompt_tokens(Request.of(text))
    exact = count_message_tokens([{"role": "user", "content": text}], "gpt-4o").tokens
    assert estimate >= exact

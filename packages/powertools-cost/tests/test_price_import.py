"""LiteLLM imports never mis-price the vendors' own models (issue 13.8)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from powertools.cost import PriceBook, PriceStore, PricingDataError, Usage
from powertools.cost._litellm import convert_litellm, lint
from powertools.cost._pricedata import parse_price_file, to_model_prices

DATA = Path(__file__).parent / "data" / "litellm_resellers.json"
TODAY = date(2025, 11, 1)


def imported(tmp_path: Path) -> tuple[PriceBook, tuple[str, ...]]:
    store = PriceStore(tmp_path)
    report = store.import_litellm(DATA, today=TODAY)
    return PriceBook.shipped(store), report.violations


def rates(book: PriceBook, model: str, provider: str | None = None) -> tuple[Decimal, Decimal]:
    price = book.resolve(model, provider=provider)
    return price.per_million("input"), price.per_million("output")


def test_a_resellers_price_never_replaces_the_vendors_own(tmp_path: Path) -> None:
    book, _ = imported(tmp_path)
    assert rates(book, "claude-3-5-haiku") == (Decimal("0.8"), Decimal(4))
    assert rates(book, "claude-3-5-haiku-20241022") == (Decimal("0.8"), Decimal(4))
    assert rates(book, "gemini-2.0-flash") == (Decimal("0.1"), Decimal("0.4"))
    assert rates(book, "gemini-2.5-pro") == (Decimal("1.25"), Decimal(10))
    # each reseller's price is still there, under its provider
    assert rates(book, "vertex_ai/claude-3-5-haiku") == (Decimal(1), Decimal(5))
    assert rates(book, "gemini-2.0-flash", provider="vertex_ai-language-models") == (
        Decimal("0.15"),
        Decimal("0.6"),
    )
    assert book.resolve("claude-3-5-haiku", provider="anthropic").provider == "anthropic"


def test_tiers_carry_every_rate_they_change(tmp_path: Path) -> None:
    book, _ = imported(tmp_path)
    long_prompt = Usage(input=150_000, cache_write_1h=100_000)  # above 200k
    for name in ("claude-sonnet-4-5", "vertex_ai/claude-sonnet-4-5"):
        price = book.resolve(name)
        assert price.per_million("cache_write_1h", prompt_tokens=200_001) == Decimal(12)
        # 150,000 x $6 + 100,000 x $12 per million, the whole request at the long tier
        assert price.cost(long_prompt) == Decimal("2.1")


def test_a_tier_without_a_rate_its_base_has_is_refused_in_a_price_file() -> None:
    period = {
        "effective_from": "2025-01-01",
        "input": "3",
        "output": "15",
        "cache_write_1h": "6",
        "tiers": [{"above_prompt_tokens": 200_000, "input": "6", "output": "22.5"}],
    }
    data = parse_price_file({"taken_on": "2025-01-01", "models": [
        {"id": "m", "provider": "anthropic", "prices": [period]}
    ]})  # fmt: skip
    with pytest.raises(PricingDataError, match=r"m: the tier above 200,000 .* cache_write_1h"):
        to_model_prices(data)


def test_the_converter_derives_a_missing_tier_rate_and_says_so() -> None:
    entry = json.loads(DATA.read_text())["vertex_ai/claude-sonnet-4-5"]
    del entry["cache_creation_input_token_cost_above_1hr_above_200k_tokens"]
    result = convert_litellm({"vertex_ai/claude-sonnet-4-5": entry}, today=TODAY)
    [price] = to_model_prices(result.prices)
    assert price.per_million("cache_write_1h", prompt_tokens=300_000) == Decimal(12)
    assert any("derived 12 per million" in v for v in result.violations)


def test_lint_catches_each_mispricing() -> None:
    raw = json.loads(DATA.read_text())
    broken = dict(raw["vertex_ai/claude-sonnet-4-5"])
    del broken["cache_creation_input_token_cost_above_1hr_above_200k_tokens"]
    wrong_tier = dict(raw["vertex_ai/claude-sonnet-4-5"])
    wrong_tier["cache_creation_input_token_cost_above_1hr_above_200k_tokens"] = 6e-06
    found = lint({**raw, "broken": broken, "wrong": wrong_tier})
    assert any(
        v.startswith("gemini-2.0-flash: a bare gemini model name priced by vertex") for v in found
    )
    assert any(v.startswith("gemini-2.5-pro: a bare gemini model") for v in found)
    assert (
        "broken: the 200k tier gives no cache_write_1h, so the base rate would apply above 200k"
        in found
    )
    assert any(v.startswith("wrong: Anthropic 1-hour cache write above 200k") for v in found)


def test_an_import_that_changes_a_vendors_price_is_reported(tmp_path: Path) -> None:
    raw = json.loads(DATA.read_text())
    raw["claude-3-5-haiku-20241022"] = {
        "input_cost_per_token": 1e-06,
        "output_cost_per_token": 5e-06,
        "litellm_provider": "anthropic",
        "mode": "chat",
    }
    source = tmp_path / "map.json"
    source.write_text(json.dumps(raw))
    report = PriceStore(tmp_path / "store").import_litellm(source, today=TODAY)
    assert (
        "claude-3-5-haiku (anthropic): the import changes input from $0.8 to $1 per million"
        in report.violations
    )
    with pytest.raises(PricingDataError, match="lint violations"):
        PriceStore(tmp_path / "strict").import_litellm(source, today=TODAY, strict=True)


def test_an_import_without_a_tier_keeps_the_tier_of_unchanged_rates(tmp_path: Path) -> None:
    book, violations = imported(tmp_path)  # LiteLLM's own claude-sonnet-4-5 lists no tier
    sonnet = book.resolve("claude-sonnet-4-5")
    assert len(sonnet.periods) == 2
    assert sonnet.period().tiers
    assert not any("drops its context tiers" in v for v in violations)


@pytest.mark.parametrize("value", [True, [1e-06], "a dollar", {"usd": 1e-06}])
def test_a_price_that_is_not_a_number_is_refused_with_its_place(value: object) -> None:
    raw = {"house-model": {"input_cost_per_token": value, "output_cost_per_token": 2e-06}}
    with pytest.raises(
        PricingDataError, match=r"house-model\.input_cost_per_token must be a number, got "
    ):
        convert_litellm(raw, today=TODAY)


def test_an_entry_without_an_output_price_is_skipped() -> None:
    raw = {
        "embedder": {"input_cost_per_token": 1e-07, "mode": "chat"},
        "chatter": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06},
    }
    converted = convert_litellm(raw, today=TODAY)
    assert [m.id for m in converted.prices.models] == ["chatter"]
    assert converted.skipped == 1


def test_an_import_that_changes_a_tiered_models_rates_without_tiers_is_reported(
    tmp_path: Path,
) -> None:
    assert PriceBook.shipped().resolve("gemini-2.5-pro").period().tiers  # tiered at 200k
    raw = {
        "gemini-2.5-pro": {
            "input_cost_per_token": 2e-06,
            "output_cost_per_token": 1.2e-05,
            "litellm_provider": "gemini",
            "mode": "chat",
        }
    }
    source = tmp_path / "map.json"
    source.write_text(json.dumps(raw))
    report = PriceStore(tmp_path / "store").import_litellm(source, today=TODAY)
    assert "gemini-2.5-pro (gemini): the import drops its context tiers" in report.violations

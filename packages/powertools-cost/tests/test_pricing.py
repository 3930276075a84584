"""Golden prices worked out by hand from the providers' published per-million prices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from powertools.cost import (
    CostTracker,
    PriceBook,
    PricingDataError,
    UnknownModelError,
    Usage,
    cost_of,
    from_anthropic,
    from_gemini,
    from_llamacpp,
    from_ollama,
    from_openai,
    from_openai_responses,
    price_for,
)

BOOK = PriceBook.default()


def test_openai_cached_input_is_billed_once() -> None:
    usage = from_openai(
        {
            "prompt_tokens": 10_000,
            "completion_tokens": 1_000,
            "total_tokens": 11_000,
            "prompt_tokens_details": {"cached_tokens": 8_000},
        }
    )
    # 2,000 x 2.50/M + 8,000 x 1.25/M + 1,000 x 10/M = 0.005 + 0.01 + 0.01
    assert BOOK.cost(usage, "gpt-4o") == Decimal("0.025")


def test_o3_reasoning_and_price_history() -> None:
    usage = from_openai(
        {
            "prompt_tokens": 1_000,
            "completion_tokens": 5_000,
            "completion_tokens_details": {"reasoning_tokens": 4_500},
        }
    )
    # now: 1,000 x 2/M + 500 x 8/M + 4,500 x 8/M = 0.002 + 0.004 + 0.036
    assert BOOK.cost(usage, "o3") == Decimal("0.042")
    # before the June 2025 cut: 1,000 x 10/M + 5,000 x 40/M = 0.01 + 0.2
    assert BOOK.cost(usage, "o3-2025-04-16", at=date(2025, 5, 1)) == Decimal("0.21")
    assert BOOK.cost(usage, "o3", at=date(2025, 6, 10)) == Decimal("0.042")


def test_openai_responses_api_shape() -> None:
    usage = from_openai_responses(
        {
            "input_tokens": 5_000,
            "input_tokens_details": {"cached_tokens": 4_000},
            "output_tokens": 1_000,
            "output_tokens_details": {"reasoning_tokens": 800},
            "total_tokens": 6_000,
        }
    )
    # gpt-5: 1,000 x 1.25/M + 4,000 x 0.125/M + 1,000 x 10/M = 0.00125 + 0.0005 + 0.01
    assert BOOK.cost(usage, "gpt-5") == Decimal("0.01175")


def test_anthropic_5m_and_1h_cache_writes() -> None:
    usage = from_anthropic(
        {
            "input_tokens": 100,
            "cache_read_input_tokens": 50_000,
            "cache_creation_input_tokens": 30_000,
            "cache_creation": {
                "ephemeral_5m_input_tokens": 10_000,
                "ephemeral_1h_input_tokens": 20_000,
            },
            "output_tokens": 2_000,
        }
    )
    # 100 x 3 + 50,000 x 0.30 + 10,000 x 3.75 + 20,000 x 6 + 2,000 x 15, per million
    # = 0.0003 + 0.015 + 0.0375 + 0.12 + 0.03
    assert BOOK.cost(usage, "claude-sonnet-4-5") == Decimal("0.2028")


def test_anthropic_cache_writes_without_split_are_5_minute_writes() -> None:
    usage = from_anthropic({"input_tokens": 0, "cache_creation_input_tokens": 1_000_000})
    assert usage.cache_write_5m == 1_000_000
    assert BOOK.cost(usage, "claude-haiku-4-5") == Decimal("1.25")


def test_sonnet_above_200k_prices_the_whole_request_at_the_long_context_tier() -> None:
    above = from_anthropic(
        {"input_tokens": 150_000, "cache_read_input_tokens": 60_000, "output_tokens": 1_000}
    )
    # 210,000 prompt tokens > 200k: 150,000 x 6 + 60,000 x 0.60 + 1,000 x 22.50, per million
    assert BOOK.cost(above, "claude-sonnet-4") == Decimal("0.9585")
    at_limit = Usage(input=200_000, output=1_000)
    # exactly 200k is not above it: 200,000 x 3 + 1,000 x 15
    assert BOOK.cost(at_limit, "claude-sonnet-4-5") == Decimal("0.615")


def test_gemini_25_pro_tiers_and_thoughts() -> None:
    above = from_gemini(
        {
            "promptTokenCount": 250_000,
            "cachedContentTokenCount": 50_000,
            "candidatesTokenCount": 2_000,
            "thoughtsTokenCount": 3_000,
            "totalTokenCount": 255_000,
        }
    )
    # 200,000 x 2.50 + 50,000 x 0.25 + 2,000 x 15 + 3,000 x 15, per million
    assert BOOK.cost(above, "gemini-2.5-pro") == Decimal("0.5875")
    below = from_gemini(
        {"promptTokenCount": 100_000, "candidatesTokenCount": 1_000, "thoughtsTokenCount": 1_000}
    )
    # 100,000 x 1.25 + 2,000 x 10, per million
    assert BOOK.cost(below, "models/gemini-2.5-pro") == Decimal("0.145")


def test_gemini_audio_input_has_its_own_price() -> None:
    usage = from_gemini(
        {
            "promptTokenCount": 10_000,
            "candidatesTokenCount": 500,
            "promptTokensDetails": [
                {"modality": "TEXT", "tokenCount": 6_000},
                {"modality": "AUDIO", "tokenCount": 4_000},
            ],
        }
    )
    # 6,000 x 0.10 + 4,000 x 0.70 + 500 x 0.40, per million
    assert BOOK.cost(usage, "gemini-2.0-flash") == Decimal("0.0036")


def test_batch_halves_the_price() -> None:
    usage = Usage(input=1_000_000, output=1_000_000)
    assert BOOK.cost(usage, "gpt-4o-mini", batch=True) == Decimal("0.375")
    assert BOOK.cost(usage, "claude-haiku-4-5", batch=True) == Decimal(3)
    assert BOOK.cost(usage, "gemini-2.5-flash", batch=True) == Decimal("1.4")


def test_batch_on_a_model_without_batch_prices_is_refused() -> None:
    book = PriceBook()
    book.set_price("plain", input="1", output="1")
    with pytest.raises(PricingDataError, match="no batch price"):
        book.cost(Usage(input=1), "plain", batch=True)


def test_local_models_are_free_unless_priced() -> None:
    ollama = from_ollama({"model": "llama3.2", "prompt_eval_count": 26, "eval_count": 290})
    llama = from_llamacpp({"timings": {"prompt_n": 5, "cache_n": 20, "predicted_n": 7}})
    assert BOOK.cost(ollama, "ollama/llama3.2") == 0
    assert BOOK.cost(llama, "stories", provider="llamacpp") == 0
    book = PriceBook()
    book.set_price("ollama/llama3.2", input="0.01", output="0.02")
    assert book.cost(ollama, "ollama/llama3.2") == Decimal("0.0000060600")


def test_aliases_dated_ids_and_prefixes_resolve() -> None:
    for name, canonical in [
        ("anthropic/claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
        ("gpt-4o-2024-11-20", "gpt-4o"),
        ("openai/gpt-5-2025-08-07", "gpt-5"),
        ("gemini/gemini-2.5-flash", "gemini-2.5-flash"),
        ("GPT-4.1-MINI", "gpt-4.1-mini"),
    ]:
        assert price_for(name).model == canonical
    assert price_for("gpt-4o-2024-05-13").per_million("input") == Decimal(5)


def test_unknown_model_names_close_matches() -> None:
    with pytest.raises(UnknownModelError, match="gpt-4o-mini") as caught:
        price_for("gpt-4o-mni")
    assert "gpt-4o-mini" in caught.value.suggestions


def test_unknown_model_uses_the_configured_fallback() -> None:
    fallback = PriceBook().set_price("fallback", input="10", output="10")
    book = PriceBook(fallback=fallback)
    assert book.cost(Usage(input=100_000), "mystery-model") == Decimal(1)


def test_cost_of_uses_the_default_book() -> None:
    assert cost_of(Usage(input=1_000_000), "gpt-4.1-nano") == Decimal("0.1")


def test_prices_finer_than_the_femto_dollar_are_refused() -> None:
    with pytest.raises(PricingDataError, match="at most 9 decimals"):
        PriceBook().set_price("x", input="0.0000000001", output="1")
    with pytest.raises(PricingDataError, match="'input' and 'output'"):
        PriceBook().set_price("x", input="1", output="1", bogus="1")


def test_every_shipped_model_has_prices_and_a_context_window() -> None:
    required = {
        "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o3", "o4-mini",
        "gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4", "gpt-3.5-turbo", "claude-3-5-haiku",
        "claude-haiku-4-5", "claude-sonnet-4", "claude-sonnet-4-5", "claude-opus-4-1",
        "gemini-2.0-flash", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.5-pro",
    }  # fmt: skip
    assert required <= set(BOOK.names())
    for name in required:
        price = BOOK.resolve(name)
        assert price.context_window
        assert price.periods[0].effective_from >= date(2023, 1, 1)
        assert price.per_million("cache_read") <= price.per_million("input")
        if price.provider == "anthropic":
            assert price.per_million("cache_write_1h") == 2 * price.per_million("input")


def test_worst_case_uses_the_dearest_rates_in_the_prompt_tier() -> None:
    sonnet = price_for("claude-sonnet-4-5")
    # below 200k: 1,000 prompt tokens at the 1h write rate 6/M, 100 output at 15/M
    assert sonnet.worst_case_fd(1_000, 100) == 1_000 * 6_000_000_000 + 100 * 15_000_000_000
    # above: 12/M and 22.50/M
    assert sonnet.worst_case_fd(300_000, 0) == 300_000 * 12_000_000_000


def test_money_prints_as_money() -> None:
    """Issue 13.9: no $1E+1 anywhere."""
    gpt4o = price_for("gpt-4o")
    assert str(gpt4o.per_million("output")) == "10"
    assert str(gpt4o.per_million("cache_read")) == "1.25"
    assert f"${price_for('gpt-4').per_million('output')}" == "$60"
    tiny = cost_of(Usage(input=1), "gpt-4.1-nano")  # $0.10 per million
    assert f"${tiny}" == "$0.0000001"


def test_the_unknown_model_error_names_the_real_parameters() -> None:
    with pytest.raises(UnknownModelError) as caught:
        PriceBook().resolve("gtp-4o")
    message = str(caught.value)
    assert "PriceBook(fallback=" in message
    assert "CostTracker(fallback_price=" in message
    assert "provider='ollama'" in message


def test_cost_of_prices_a_bare_local_model_by_provider() -> None:
    usage = Usage(input=26, output=290)
    assert cost_of(usage, "llama3.2", provider="ollama") == 0
    assert cost_of(usage, "llama3.2", provider="llamacpp") == 0
    assert price_for("llama3.2", provider="ollama").worst_case_fd(1000, 1000) == 0
    with pytest.raises(UnknownModelError):
        cost_of(usage, "llama3.2")


async def test_the_first_async_span_loads_the_prices_off_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio

    import powertools.cost._pricebook as pricebook

    loaded = PriceBook.default()
    threads: list[bool] = []

    def default() -> PriceBook:
        try:
            asyncio.get_running_loop()
            threads.append(True)  # called on the loop: it would block every task
        except RuntimeError:
            threads.append(False)
        return loaded

    monkeypatch.setattr(pricebook.PriceBook, "default", staticmethod(default))
    tracker = CostTracker(budget_usd=10)
    async with tracker.track_call("t", model="gpt-4o") as span:
        span.record(Usage(input=10))
    assert threads  # loaded (by the tracker's preload thread, or the span's worker thread)
    assert not any(threads)  # and never on the loop
    with tracker.track_call("t", model="gpt-4o") as sync_span:  # a sync span on the loop
        sync_span.record(Usage(input=10))
    assert not any(threads)

"""Holds of spans that give no size: the spec's own form still never overspends (issue 13.1)."""

from __future__ import annotations

import asyncio
import random
import warnings
from decimal import Decimal

import pytest

from powertools.cost import (
    BudgetExceededError,
    BudgetManager,
    BudgetOverrunWarning,
    CostTracker,
    Overrun,
    PriceBook,
    Usage,
    price_for,
)
from powertools.cost._money import fd_from_usd


async def test_one_thousand_spec_form_calls_never_overspend() -> None:
    """The spec's form, no sizes given: 1,000 concurrent calls against $1."""
    rng = random.Random(13)
    tracker = CostTracker(budget_usd=1.0, alert_threshold_usd=0.8)
    refused = 0

    async def call() -> None:
        nonlocal refused
        try:
            async with tracker.track_call(task_name="code_generation", model="gpt-4") as span:
                await asyncio.sleep(rng.random() / 1000)
                # any answer gpt-4 can give: a prompt within the policy, output up to 8,192
                span.record(Usage(input=rng.randint(10, 4096), output=rng.randint(10, 8192)))
        except BudgetExceededError:
            refused += 1

    with warnings.catch_warnings():
        warnings.simplefilter("error", BudgetOverrunWarning)  # no call may pass its hold
        await asyncio.gather(*(call() for _ in range(1000)))
    status = (await tracker.budgets.astatus())[0]
    assert tracker.get_total() <= Decimal(1)
    assert status.spent == tracker.get_total()
    assert status.held == 0
    assert refused >= 990  # gpt-4's worst case is $0.6144: one call at a time fits
    assert tracker.budgets.overruns == 0


def test_an_unsized_span_holds_the_models_worst_case_by_policy() -> None:
    gpt4 = price_for("gpt-4")  # $30/M in, $60/M out, 8,192 context and output
    tracker = CostTracker(budget_usd=100, clock=lambda: 0.0)
    with tracker.track_call("t", model="gpt-4"):
        # 4,096 default prompt tokens x $30/M + 8,192 x $60/M
        assert tracker.budgets.status()[0].held == Decimal("0.6144")
    whole = CostTracker(budget_usd=100, unsized_prompt="context_window", clock=lambda: 0.0)
    with whole.track_call("t", model="gpt-4"):
        assert whole.budgets.status()[0].held == Decimal("0.73728")  # 8,192 in, 8,192 out
    assert gpt4.max_output == 8192
    with tracker.track_call("t", model="gpt-4", prompt_tokens=100):  # output by policy
        assert tracker.budgets.status()[0].held == Decimal("0.49452")
    with tracker.track_call("t", model="gpt-4", max_tokens=100):  # prompt by policy
        assert tracker.budgets.status()[0].held == Decimal("0.12888")
    assert tracker.budgets.status()[0].held == 0


def test_a_span_without_a_model_holds_the_dearest_call_or_the_configured_amount() -> None:
    book = PriceBook()
    book.set_price("cheap", input=1, output=2, context_window=1000)
    book.set_price("dear", input=10, output=20, context_window=2000)
    tracker = CostTracker(budget_usd=1, prices=book, unsized_prompt=1000, clock=lambda: 0.0)
    with tracker.track_call("code_gen"):
        # dear: 1,000 x $10/M + 2,000 (its window, no max output known) x $20/M
        assert tracker.budgets.status()[0].held == Decimal("0.05")
    fixed = CostTracker(budget_usd=1, prices=book, unsized_reserve_usd="0.25")
    with fixed.track_call("code_gen"):
        assert fixed.budgets.status()[0].held == Decimal("0.25")
    assert fixed.get_total() == 0


def test_a_local_model_is_held_and_priced_at_zero_by_provider() -> None:
    tracker = CostTracker(budget_usd=1)
    with tracker.track_call("t", model="llama3.2", provider="ollama") as span:
        span.record({"prompt_eval_count": 26, "eval_count": 290})
    assert tracker.get_total() == 0
    assert tracker.records[0].usage == Usage(input=26, output=290)


async def test_a_commit_above_its_hold_past_the_limit_is_reported_and_refuses_the_next() -> None:
    events: list[Overrun] = []
    budgets = BudgetManager(clock=lambda: 0.0, on_overrun=events.append)
    budgets.add(1, window="total")
    under = await budgets.reserve("0.10")
    await budgets.commit(under, "0.20")  # above its hold, within the limit: counted only
    assert (budgets.overruns, events[0].over_limit) == (1, False)
    held = await budgets.reserve("0.50")
    with pytest.warns(BudgetOverrunWarning, match=r"over its \$1 limit"):
        await budgets.commit(held, "0.90")
    assert budgets.overruns == 2
    assert budgets.overrun_fd == fd_from_usd("0.50")
    assert events[1].over_limit
    assert events[1].spent == Decimal("1.1")
    with pytest.raises(BudgetExceededError):
        await budgets.reserve(amount_fd=0)  # even a free call: the limit is passed


def test_a_sync_commit_above_its_hold_is_counted_too() -> None:
    budgets = BudgetManager(clock=lambda: 0.0)
    budgets.add(1, window="daily")
    with pytest.warns(BudgetOverrunWarning):
        budgets.commit_sync(budgets.reserve_sync("0.5"), 2)
    assert budgets.overruns == 1
    with pytest.raises(BudgetExceededError):
        budgets.reserve_sync("0.01")


def test_the_unsized_policy_is_validated() -> None:
    with pytest.raises(ValueError, match="unsized_prompt"):
        CostTracker(unsized_prompt=-1)
    with pytest.raises(ValueError, match="unsized_max_tokens"):
        CostTracker(unsized_max_tokens=0)
    with pytest.raises(ValueError, match="unsized_reserve_usd cannot be negative"):
        CostTracker(unsized_reserve_usd="-1")
    with pytest.raises(ValueError, match="reserve_usd cannot be negative"):
        CostTracker().track_call("t", reserve_usd=-2)


def test_a_span_without_a_model_holds_the_books_fallback_price_when_it_is_dearest() -> None:
    book = PriceBook(fallback=PriceBook().set_price("anything", input=50, output=50))
    book.set_price("cheap", input=1, output=2, context_window=1000)
    tracker = CostTracker(
        budget_usd=1, prices=book, unsized_prompt=1000, unsized_max_tokens=1000, clock=lambda: 0.0
    )
    with tracker.track_call("code_gen"):
        # the fallback prices every unknown model: 1,000 in + 1,000 out (the policy) x $50/M
        assert tracker.budgets.status()[0].held == Decimal("0.1")

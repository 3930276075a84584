"""CostTracker: spans, attribution, reservations, reports, analytics and export."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from powertools.cost import (
    Alert,
    BudgetExceededError,
    CallRecord,
    CostTracker,
    MissingUsageError,
    PriceBook,
    UnknownModelError,
    Usage,
    UsageFormatError,
    current_span,
    from_csv,
    from_json,
    report_usage,
    to_csv,
    to_json,
)
from powertools.cost.testing import FakeClock, openai_response

NOON = datetime(2026, 11, 25, 12, tzinfo=UTC).timestamp()


async def test_usage_reported_inside_is_attributed_to_the_innermost_span() -> None:
    tracker = CostTracker(clock=FakeClock(NOON))
    async with tracker.track_call("outer", user="ann", tags=["x"]):
        async with tracker.track_call("inner", model="gpt-4o-mini") as inner:
            assert current_span() is inner
            report_usage(Usage(input=1_000_000))
        report_usage(openai_response("gpt-4o", 1_000_000, 0))
    assert current_span() is None
    assert report_usage(Usage(input=1)) is None
    report = tracker.get_daily_report()
    assert report.by_task == {"inner": Decimal("0.15"), "outer": Decimal("2.5")}
    assert report.by_user == {"-": Decimal("0.15"), "ann": Decimal("2.5")}
    assert report.task_count == 2
    assert report.tokens == 2_000_000


def test_sync_span_and_reports_by_day() -> None:
    clock = FakeClock(NOON)
    tracker = CostTracker(budget_usd=5, clock=clock)
    with tracker.track_call("a", model="gpt-4.1") as span:
        span.record({"usage": {"prompt_tokens": 1_000_000, "completion_tokens": 0}})
    clock.advance(86_400)
    with tracker.track_call("b", model="gpt-4.1") as span:
        span.record(Usage(output=125_000))
    assert tracker.get_daily_report().total == Decimal(1)
    assert tracker.get_daily_report(date(2026, 11, 25)).total == Decimal(2)
    assert tracker.get_daily_report().remaining == Decimal(2)
    assert tracker.get_total() == Decimal(3)


async def test_span_without_usage_and_failures() -> None:
    tracker = CostTracker(require_usage=True, budget_usd=10)
    with pytest.raises(MissingUsageError, match=r"span\.record"):
        async with tracker.track_call("t", model="gpt-4o"):
            pass
    with pytest.raises(RuntimeError):
        async with tracker.track_call("t", model="gpt-4o"):
            raise RuntimeError("provider down")
    assert tracker.records == []
    with pytest.raises(UsageFormatError, match="without a model"):
        async with tracker.track_call("t") as span:
            span.record(Usage(input=1))
    assert (await tracker.budgets.astatus())[0].held == 0


def test_sync_span_without_usage_is_unmetered_or_refused() -> None:
    tracker = CostTracker(budget_usd=10)
    with tracker.track_call("t"):
        pass
    assert tracker.records[0].metered is False
    strict = CostTracker(require_usage=True, budget_usd=10)
    with pytest.raises(MissingUsageError), strict.track_call("t"):
        pass
    assert strict.budgets.status()[0].held == 0


async def test_worst_case_is_reserved_and_a_call_that_cannot_fit_is_refused(
    tiktoken_cache: object,  # the prompt estimate is an exact tiktoken count
) -> None:
    tracker = CostTracker(budget_usd="0.01")
    # gpt-4o: 1,000 prompt tokens x 2.50/M + 1,000 x 10/M = 0.0125 > 0.01
    with pytest.raises(BudgetExceededError):
        async with tracker.track_call("t", model="gpt-4o", prompt_tokens=1000, max_tokens=1000):
            pytest.fail("the call must not start")
    async with tracker.track_call(
        "t", model="gpt-4o", messages=[{"role": "user", "content": "hi"}], max_tokens=100
    ) as span:
        assert span.prompt_estimate == 8
        span.record(openai_response("gpt-4o", 8, 100))
    assert span.records[0].estimate_error == 0.0
    async with tracker.track_call("t", model="claude-haiku-4-5", prompt="x" * 35, max_tokens=1):
        assert current_span().prompt_estimate == 10  # type: ignore[union-attr]
    async with tracker.track_call("t", reserve_usd="0.005"):
        pass


async def test_unknown_models_raise_unless_a_fallback_is_configured() -> None:
    tracker = CostTracker()
    with pytest.raises(UnknownModelError):
        async with tracker.track_call("t", model="gtp-4o") as span:
            span.record(Usage(input=1))
    fallback = PriceBook().set_price("fallback", input="1", output="1")
    lenient = CostTracker(fallback_price=fallback)
    async with lenient.track_call("t", model="gtp-4o", prompt_tokens=1, max_tokens=1) as span:
        span.record(Usage(input=1_000_000))
    assert lenient.get_total() == Decimal(1)


async def test_alert_threshold_fires_once() -> None:
    alerts: list[Alert] = []
    tracker = CostTracker(budget_usd=3, alert_threshold_usd="1.5", on_alert=alerts.append)
    for _ in range(5):
        async with tracker.track_call("t", model="gpt-4") as span:  # 0.48 dollars each
            span.record(Usage(output=8_000))
    assert len(alerts) == 1
    assert alerts[0].threshold == Decimal("1.5")
    assert alerts[0].spent == Decimal("1.92")


async def test_one_thousand_concurrent_calls_never_overspend_or_leak() -> None:
    rng = random.Random(7)
    tracker = CostTracker(budget_usd="2.5", reservation_ttl=3600.0)
    release = asyncio.Event()
    outcomes = {"ok": 0, "refused": 0, "failed": 0, "timeout": 0, "cancelled": 0}

    async def call(i: int) -> None:
        prompt, limit = rng.randint(100, 20_000), rng.randint(10, 4_000)
        fate = rng.choice(["ok", "ok", "ok", "error", "timeout", "hang"])
        try:
            async with tracker.track_call(
                f"task-{i % 7}", model="gpt-4o", prompt_tokens=prompt, max_tokens=limit
            ) as span:
                await asyncio.sleep(0)
                if fate == "error":
                    raise ValueError("provider error")
                if fate == "timeout":
                    async with asyncio.timeout(0):
                        await asyncio.sleep(60)
                if fate == "hang":
                    await release.wait()
                cached = rng.randint(0, prompt)
                span.record(openai_response("gpt-4o", prompt, rng.randint(0, limit), cached=cached))
            outcomes["ok"] += 1
        except BudgetExceededError:
            outcomes["refused"] += 1
        except ValueError:
            outcomes["failed"] += 1
        except TimeoutError:
            outcomes["timeout"] += 1

    tasks = [asyncio.create_task(call(i)) for i in range(1000)]
    for _ in range(5):
        await asyncio.sleep(0)
    hanging = [t for t in tasks if not t.done()]
    for task in hanging[::2]:
        task.cancel()
    release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    outcomes["cancelled"] = sum(isinstance(r, asyncio.CancelledError) for r in results)
    [status] = await tracker.budgets.astatus()
    assert status.held == 0
    assert tracker.budgets.renewals.live == {}  # nothing is kept alive after the calls
    assert status.spent <= Decimal("2.5")
    assert status.spent == tracker.get_total()
    assert all(outcomes.values()), outcomes  # every path was exercised


records = st.builds(
    CallRecord,
    id=st.text(min_size=1, max_size=8),
    span_id=st.text(min_size=1, max_size=8),
    at=st.floats(0, 4e9, allow_nan=False),
    task=st.text(max_size=10),
    model=st.one_of(st.none(), st.text(min_size=1, max_size=10)),
    user=st.one_of(st.none(), st.text(min_size=1, max_size=10)),
    tags=st.lists(st.text(max_size=5), max_size=3).map(tuple),
    usage=st.one_of(st.none(), st.builds(Usage, input=st.integers(0, 10**9))),
    cost_fd=st.integers(0, 10**30),
    estimate_error=st.one_of(st.none(), st.floats(-1, 10, allow_nan=False)),
)


@given(st.lists(records, max_size=5))
def test_json_and_csv_export_are_lossless(items: list[CallRecord]) -> None:
    assert from_json(to_json(items)) == items
    assert from_csv(to_csv(items)) == items


def test_analytics() -> None:
    clock = FakeClock(NOON)
    tracker = CostTracker(clock=clock)
    for user, cached in [("ann", 0), ("bob", 800_000), ("ann", 400_000)]:
        with tracker.track_call("t", model="gpt-4o", user=user) as span:
            span.record(openai_response("gpt-4o", 1_000_000, 0, cached=cached))
        clock.advance(86_400)
    analytics = tracker.analytics()
    assert analytics.cost_per_user() == {"ann": Decimal("4.5"), "bob": Decimal("1.5")}
    assert analytics.cost_per_task() == {"t": Decimal(6)}
    assert analytics.cost_per_1k_tokens() == {"gpt-4o": Decimal("0.002")}
    # 1,200,000 cached tokens x (2.50 - 1.25)/M
    assert analytics.cache_savings() == Decimal("1.5")
    assert list(analytics.daily_totals().values()) == [Decimal("2.5"), Decimal("1.5"), Decimal(2)]
    assert analytics.trend() == Decimal("-0.25")
    assert from_json(analytics.to_json()) == tracker.records
    assert from_csv(analytics.to_csv()) == tracker.records


def test_only_the_latest_retain_records_calls_are_kept_but_all_are_counted() -> None:
    tracker = CostTracker(clock=FakeClock(NOON), retain_records=2)
    spans = []
    for _ in range(4):
        with tracker.track_call("t", model="gpt-4o") as span:
            span.record(Usage(output=100_000))  # $1
        spans.append(span)
    assert [r.span_id for r in tracker.records] == [spans[2].id, spans[3].id]
    assert tracker.get_total() == Decimal(4)
    assert tracker.get_daily_report().call_count == 4


async def test_the_async_daily_report_without_a_budget_has_no_remaining() -> None:
    tracker = CostTracker(clock=FakeClock(NOON))
    async with tracker.track_call("t", model="gpt-4o") as span:
        span.record(Usage(output=100_000))
    report = await tracker.aget_daily_report()
    assert (report.total, report.remaining, report.task_count) == (Decimal(1), None, 1)


def test_a_call_is_priced_at_the_rates_in_effect_on_its_day() -> None:
    from powertools.cost import ModelPrice, PricePeriod
    from powertools.cost._pricing import rates_per_million

    old = rates_per_million({"input": Decimal(1), "output": Decimal(2)})
    new = rates_per_million({"input": Decimal(3), "output": Decimal(4)})
    price = ModelPrice(
        "house-model",
        "custom",
        (PricePeriod(date(2026, 1, 1), old), PricePeriod(date(2026, 11, 1), new)),
    )
    clock = FakeClock(datetime(2026, 10, 31, 23, tzinfo=UTC).timestamp())
    tracker = CostTracker(clock=clock, prices=PriceBook([price]))
    million = Usage(input=1_000_000, output=1_000_000)
    with tracker.track_call("t", model="house-model", prompt_tokens=1, max_tokens=1) as span:
        span.record(million)
    clock.advance(3600)  # November: the new prices apply
    with tracker.track_call("t", model="house-model", prompt_tokens=1, max_tokens=1) as later:
        later.record(million)
    assert (span.cost, later.cost) == (Decimal(3), Decimal(7))


def test_a_span_without_a_model_holds_at_least_the_fallback_prices_worst_case() -> None:
    fallback = PriceBook().set_price("fallback", input="1", output="2", context_window=1000)
    tracker = CostTracker(
        budget_usd=1, prices=PriceBook(), fallback_price=fallback, clock=FakeClock(NOON)
    )
    with tracker.track_call("t"):
        [status] = tracker.budgets.status()
        # 4,096 prompt tokens (unsized_prompt) x $1/M + 1,000 (its whole window) x $2/M
        assert status.held == Decimal("0.006096")
    with tracker.track_call("t", prompt="a prompt, but no model to count it for"):
        assert tracker.budgets.status()[0].held == Decimal("0.006096")


def test_unsized_holds_are_cached_for_at_most_4096_model_names() -> None:
    fallback = PriceBook().set_price("fallback", input="1", output="1", context_window=100)
    tracker = CostTracker(
        budget_usd=1, prices=PriceBook(), fallback_price=fallback, clock=FakeClock(NOON)
    )
    for i in range(4100):  # model names come from callers: the cache must not grow with them
        with tracker.track_call("t", model=f"model-{i}"):
            pass
    assert len(tracker._unsized) == 4096
    with tracker.track_call("t", model="model-4099"):  # not cached: sized again, the same
        # 4,096 prompt tokens (unsized_prompt) + 100 output tokens (its window), at $1/M
        assert tracker.budgets.status()[0].held == Decimal("0.004196")
    assert tracker.get_daily_report().unmetered == 4101
    assert tracker.budgets.status()[0].held == 0

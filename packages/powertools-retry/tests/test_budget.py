"""Retry budgets: a ratio of recent calls, over a sliding window."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from powertools.retry import RetryBudget, RetryConfigError
from powertools.retry._budget import named_budget
from powertools.retry.testing import FakeClock


@given(
    st.floats(0, 2),
    st.integers(0, 20),
    st.lists(st.tuples(st.booleans(), st.floats(0, 3)), max_size=200),
)
def test_retries_never_exceed_the_floor_plus_the_ratio_of_calls_in_the_window(
    ratio: float, floor: int, steps: list[tuple[bool, float]]
) -> None:
    clock = FakeClock()
    budget = RetryBudget(ratio=ratio, min_retries=floor, window=10, clock=clock)
    log: list[tuple[float, str]] = []
    for is_call, advance in steps:
        clock.advance(advance)
        if is_call:
            budget.record_call()
            log.append((clock.now, "call"))
        elif budget.try_spend():
            log.append((clock.now, "retry"))
    # Whenever a retry is granted, the retries of the last 9 s (the window less one bucket)
    # fit the floor plus the ratio of the calls of the last 10 s.
    for end, kind in log:
        if kind != "retry":
            continue
        retries = sum(1 for t, k in log if k == "retry" and end - 9 <= t <= end)
        calls = sum(1 for t, k in log if k == "call" and end - 10 <= t <= end)
        assert retries <= floor + ratio * calls + 1e-9


def test_old_calls_leave_the_window() -> None:
    clock = FakeClock()
    budget = RetryBudget(ratio=1.0, min_retries=0, window=10, clock=clock)
    budget.record_call()
    clock.advance(11)
    assert not budget.try_spend()
    budget.record_call()
    assert budget.try_spend()


@pytest.mark.parametrize("options", [{"ratio": -0.1}, {"min_retries": -1}, {"window": 0}])
def test_bad_budget_options(options: dict[str, float]) -> None:
    with pytest.raises(RetryConfigError):
        RetryBudget(**options)  # type: ignore[arg-type]


def test_named_budgets_are_shared() -> None:
    assert named_budget("a") is named_budget("a")
    assert named_budget("a") is not named_budget("b")


def test_a_shared_budget_refuses_other_settings_for_its_name() -> None:
    budget = RetryBudget.shared("refuses-others", ratio=0.1, min_retries=2)
    assert RetryBudget.shared("refuses-others") is budget
    assert RetryBudget.shared("refuses-others", ratio=0.1) is budget
    with pytest.raises(RetryConfigError, match=r"ratio=0\.1, not 0\.5"):
        RetryBudget.shared("refuses-others", ratio=0.5)
    with pytest.raises(RetryConfigError, match="window"):
        RetryBudget.shared("refuses-others", window=60)
    assert budget.ratio == 0.1

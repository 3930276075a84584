"""Wait strategies: bounds, monotonicity, jitter ranges, deadlines, wait generators."""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from powertools.retry import RetryConfigError, retry
from powertools.retry._strategies import WaitSchedule
from powertools.retry.testing import FakeClock

NAMES = ["exponential_backoff", "fibonacci_backoff", "linear", "constant"]
delays = st.floats(min_value=0, max_value=100, allow_nan=False)
attempts = st.integers(min_value=1, max_value=2000)


@st.composite
def schedules(draw: st.DrawFn) -> tuple[WaitSchedule, float, float]:
    jitter = draw(st.sampled_from([None, True, "equal", "decorrelated"]))
    base = draw(delays)
    maximum = draw(st.floats(min_value=base, max_value=1000, allow_nan=False))
    name = draw(st.sampled_from(NAMES))
    seed = draw(st.integers(0, 2**32))
    rng = random.Random(seed).random
    return (
        WaitSchedule(name, base_delay=base, max_delay=maximum, jitter=jitter, rng=rng),
        base,
        maximum,
    )


@given(schedules(), st.lists(attempts, max_size=30))
def test_every_wait_stays_within_zero_and_max_delay(
    drawn: tuple[WaitSchedule, float, float], numbers: list[int]
) -> None:
    schedule, _, maximum = drawn
    plan = schedule.plan()
    for n in numbers:
        assert 0 <= plan.next(n) <= maximum


@given(
    st.sampled_from([None, True, "equal", "decorrelated"]),
    st.sampled_from(NAMES),
    delays,
    st.lists(attempts, max_size=30),
)
def test_every_wait_stays_within_bounds_for_any_jitter(
    jitter: object, name: str, base: float, numbers: list[int]
) -> None:
    maximum = base * 10
    plan = WaitSchedule(name, base_delay=base, max_delay=maximum, jitter=jitter).plan()  # type: ignore[arg-type]
    for n in numbers:
        assert 0 <= plan.next(n) <= maximum


@given(st.sampled_from(NAMES), delays, st.integers(1, 300))
def test_non_jittered_strategies_are_monotone(name: str, base: float, upto: int) -> None:
    plan = WaitSchedule(name, base_delay=base, max_delay=base * 50 + 1, jitter=False).plan()
    waits = [plan.next(n) for n in range(1, upto + 1)]
    assert waits == sorted(waits)


@given(delays.filter(lambda d: d > 0), st.integers(1, 60), st.floats(0, 1))
def test_jitter_ranges(base: float, n: int, r: float) -> None:
    maximum = base * 1000
    exact = WaitSchedule(base_delay=base, max_delay=maximum, jitter=False).plan().next(n)
    full = WaitSchedule(base_delay=base, max_delay=maximum, jitter=True, rng=lambda: r).plan()
    equal = WaitSchedule(base_delay=base, max_delay=maximum, jitter="equal", rng=lambda: r).plan()
    assert 0 <= full.next(n) <= exact
    assert exact / 2 <= equal.next(n) <= exact


@given(
    st.sampled_from(NAMES),
    delays.filter(lambda d: d > 0),
    st.lists(st.floats(0, 1), min_size=1, max_size=40),
)
def test_decorrelated_jitter_stays_between_the_strategy_and_three_times_the_last(
    name: str, base: float, draws: list[float]
) -> None:
    maximum = base * 100
    values = iter(draws)
    plan = WaitSchedule(
        name, base_delay=base, max_delay=maximum, jitter="decorrelated", rng=lambda: next(values)
    ).plan()
    exact = WaitSchedule(name, base_delay=base, max_delay=maximum, jitter=False).plan()
    previous = float("inf")
    for n in range(1, len(draws) + 1):
        wait, strategy = plan.next(n), exact.next(n)
        assert strategy * (1 - 1e-9) <= wait
        assert wait <= max(strategy, min(maximum, 3 * strategy, 3 * previous)) * (1 + 1e-9)
        previous = wait


@pytest.mark.parametrize(
    ("strategy", "low", "high"), [("constant", 1.0, 3.0), (lambda n: 10.0, 10.0, 30.0)]
)
def test_decorrelated_jitter_follows_the_chosen_strategy(
    strategy: Any, low: float, high: float
) -> None:
    plan = WaitSchedule(strategy, base_delay=1, max_delay=100, jitter="decorrelated").plan()
    waits = [plan.next(n) for n in range(1, 30)]
    assert all(low <= wait <= high for wait in waits)


@given(
    st.sampled_from(NAMES),
    st.floats(0.01, 10),
    st.floats(0, 100),
    st.integers(1, 50),
    st.sampled_from([None, True, "equal", "decorrelated"]),
)
def test_total_planned_sleep_never_exceeds_the_deadline(
    name: str, base: float, limit: float, max_attempts: int, jitter: object
) -> None:
    clock = FakeClock()

    @retry(
        max_attempts=max_attempts,
        strategy=name,
        base_delay=base,
        max_delay=base * 20,
        jitter=jitter,
        deadline=limit,
        clock=clock,
        sleep=clock.sleep,
    )
    def down() -> None:
        raise ConnectionError

    with pytest.raises(ConnectionError):
        down()
    assert sum(clock.sleeps) <= limit


@given(st.integers(1, 20))
def test_permanent_errors_are_attempted_exactly_once(max_attempts: int) -> None:
    from powertools.retry import PermanentError

    calls = 0

    @retry(max_attempts=max_attempts, sleep=lambda _s: None)
    def refuse() -> None:
        nonlocal calls
        calls += 1
        raise PermanentError("no")

    with pytest.raises(PermanentError):
        refuse()
    assert calls == 1


def expo(base: float = 2, factor: float = 1) -> Iterator[float | None]:
    """A wait generator written the way ``backoff``'s are (a ``None`` first)."""
    yield None
    n = 0
    while True:
        yield factor * base**n
        n += 1


def test_backoff_style_generator_functions_start_fresh_per_call() -> None:
    schedule = WaitSchedule(expo, base_delay=0, max_delay=100, jitter=False)
    assert [schedule.plan().next(1) for _ in range(2)] == [1.0, 1.0]
    plan = WaitSchedule(
        functools.partial(expo, factor=3), base_delay=0, max_delay=100, jitter=False
    ).plan()
    assert [plan.next(n) for n in range(1, 5)] == [3.0, 6.0, 12.0, 24.0]


def test_a_wait_iterator_is_replayed_from_the_start_by_every_call() -> None:
    schedule = WaitSchedule(expo(), base_delay=0, max_delay=5, jitter=False)
    first = schedule.plan()
    assert [first.next(n) for n in range(1, 5)] == [1.0, 2.0, 4.0, 5.0]
    second = schedule.plan()
    assert [second.next(n) for n in range(1, 3)] == [1.0, 2.0]


def test_the_real_backoff_library_generators_work() -> None:
    backoff = pytest.importorskip("backoff")
    plan = WaitSchedule(backoff.expo, base_delay=0, max_delay=100, jitter=False).plan()
    assert [plan.next(n) for n in range(1, 4)] == [1.0, 2.0, 4.0]
    plan = WaitSchedule(backoff.fibo(), base_delay=0, max_delay=100, jitter=False).plan()
    assert [plan.next(n) for n in range(1, 5)] == [1.0, 1.0, 2.0, 3.0]


def test_callable_strategies_and_their_bad_results() -> None:
    plan = WaitSchedule(lambda n: n * 10, base_delay=0, max_delay=25, jitter=False).plan()
    assert [plan.next(n) for n in (1, 2, 3)] == [10.0, 20.0, 25.0]
    bad = WaitSchedule(lambda n: -1, base_delay=0, jitter=False).plan()
    with pytest.raises(RetryConfigError):
        bad.next(1)


def test_a_finite_generator_that_runs_out_is_a_clear_error() -> None:
    def short() -> Iterator[float]:
        yield 1.0

    plan = WaitSchedule(short, base_delay=0, jitter=False).plan()
    assert plan.next(1) == 1.0
    with pytest.raises(RetryConfigError, match="ran out"):
        plan.next(2)


def test_huge_attempt_numbers_saturate_at_max_delay() -> None:
    for name in NAMES[:2]:
        plan = WaitSchedule(name, base_delay=1, max_delay=60, jitter=False).plan()
        assert plan.next(5000) == 60.0
    assert WaitSchedule(base_delay=0, max_delay=1).max_delay == 1.0

"""GCRA cells: conformance over any window, exact waits, reservation arithmetic."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from powertools.ratelimit import ConfigurationError, Cost, Limit
from powertools.ratelimit._gcra import GcraCells

costs = st.integers(min_value=1, max_value=50)
gaps = st.floats(min_value=0, max_value=2, allow_nan=False)


def admitted_in_windows(log: list[tuple[float, float]], window: float) -> float:
    """The most cost admitted in any half-open window of ``window`` seconds."""
    best = 0.0
    for i, (start, _) in enumerate(log):
        best = max(best, sum(c for t, c in log[i:] if t < start + window))
    return best


@given(
    limit=st.integers(min_value=1, max_value=100),
    burst=st.integers(min_value=1, max_value=100),
    arrivals=st.lists(st.tuples(gaps, costs), min_size=1, max_size=60),
    window=st.floats(min_value=0.01, max_value=5),
)
def test_never_more_than_burst_plus_rate_times_window(
    limit: int, burst: int, arrivals: list[tuple[float, int]], window: float
) -> None:
    lim = Limit("tokens", limit, 1.0, burst)
    cells = GcraCells([lim])
    now = 0.0
    log = []
    for gap, cost in arrivals:
        now += gap
        if cost <= limit and cells.try_take(now, (1, cost, 0, 0)) == 0.0:
            log.append((now, float(cost)))
    largest = max((c for _, c in log), default=0.0)
    bound = max(burst, largest) + limit * window / lim.period
    assert admitted_in_windows(log, window) <= bound + 1e-6


@given(limit=st.integers(min_value=1, max_value=1000), gaps_=st.lists(gaps, max_size=80))
def test_requests_limit_is_exact_over_its_period(limit: int, gaps_: list[float]) -> None:
    cells = GcraCells([Limit("requests", limit, 60.0)])
    now, log = 0.0, []
    for gap in gaps_:
        now += gap * 60 / limit
        if cells.try_take(now, (1, 0, 0, 0)) == 0.0:
            log.append((now, 1.0))
    assert admitted_in_windows(log, 60.0) <= limit


@given(
    limit=st.integers(min_value=1, max_value=100),
    burst=st.integers(min_value=1, max_value=100),
    arrivals=st.lists(
        st.tuples(gaps, costs, st.floats(min_value=0, max_value=1)), min_size=1, max_size=60
    ),
    lateness=st.floats(min_value=0, max_value=0.5),
    window=st.floats(min_value=0.01, max_value=5),
)
def test_due_time_credit_exceeds_the_window_bound_by_at_most_the_lateness(
    limit: int,
    burst: int,
    arrivals: list[tuple[float, int, float]],
    lateness: float,
    window: float,
) -> None:
    """Checked up to ``lateness`` after its due time, a cost is counted at the due time.

    So any window of the checking clock holds at most ``max(burst, cost) + rate x (window +
    lateness)``: the GCRA bound, stretched by the credit and never by more.
    """
    lim = Limit("tokens", limit, 1.0, burst)
    cells = GcraCells([lim])
    due = now = 0.0
    log = []
    for gap, cost, late in arrivals:
        due += gap
        now = max(now, due + late * lateness)
        if cost <= limit and cells.try_take(now, (1, cost, 0, 0), due) == 0.0:
            log.append((now, float(cost)))
    largest = max((c for _, c in log), default=0.0)
    bound = max(burst, largest) + limit * (window + lateness) / lim.period
    assert admitted_in_windows(log, window) <= bound + 1e-6


@given(
    taken=st.lists(st.tuples(gaps, costs), max_size=20),
    cost=costs,
    late=st.floats(min_value=0, max_value=3),
)
def test_a_late_check_takes_exactly_what_a_check_at_the_due_time_takes(
    taken: list[tuple[float, int]], cost: int, late: float
) -> None:
    limits = [Limit("tokens", 50, 1.0, 10), Limit("requests", 5, 1.0, 2)]
    on_time, checked_late = GcraCells(limits), GcraCells(limits)
    now = 0.0
    for gap, amount in taken:
        now += gap
        on_time.try_take(now, (1, amount, 0, 0))
        checked_late.try_take(now, (1, amount, 0, 0))
    due = now + on_time.wait_for(now, (1, cost, 0, 0))
    assert on_time.try_take(due, (1, cost, 0, 0)) == 0.0
    assert checked_late.try_take(due + late, (1, cost, 0, 0), due) == 0.0
    for probe in (1, 10, 50):  # the same state: the lateness cost no capacity
        assert checked_late.wait_for(due + late, (1, probe, 0, 0)) == pytest.approx(
            on_time.wait_for(due + late, (1, probe, 0, 0)), abs=1e-9
        )


def test_the_credit_never_reaches_before_since() -> None:
    cells = GcraCells([Limit("requests", 1, 1.0)])
    cells.try_take(0.0, (1, 0, 0, 0))  # due again at 1.0
    assert cells.try_take(5.0, (1, 0, 0, 0), 4.0) == 0.0  # queued at 4.0: counted at 4.0
    assert cells.wait_for(5.0, (1, 0, 0, 0)) == pytest.approx(0.0)
    assert cells.try_take(5.0, (1, 0, 0, 0), 5.0) == pytest.approx(0.0)
    assert cells.try_take(5.0, (1, 0, 0, 0), 5.0) == pytest.approx(1.0)  # nothing extra


@given(estimate=costs, actual=st.integers(min_value=0, max_value=50), gap=gaps)
def test_settling_equals_taking_the_actual_amount(estimate: int, actual: int, gap: float) -> None:
    lim = [Limit("tokens", 100, 1.0, 100)]
    reserved, direct = GcraCells(lim), GcraCells(lim)
    reserved.try_take(0.0, (1, 40, 0, 0))
    direct.try_take(0.0, (1, 40, 0, 0))
    reserved.try_take(gap, (1, estimate, 0, 0))
    reserved.adjust(gap, (0, actual - estimate, 0, 0))
    if actual:
        direct.try_take(gap, (1, actual, 0, 0))
    for probe in (1, 25, 100):
        assert reserved.wait_for(gap, (1, probe, 0, 0)) == pytest.approx(
            direct.wait_for(gap, (1, probe, 0, 0)), abs=1e-9
        )


class CellMachine(RuleBasedStateMachine):
    """Random takes, refunds and waits: every wait is exact and the window bound holds."""

    def __init__(self) -> None:
        super().__init__()
        self.lim = Limit("tokens", 20, 1.0, 5)
        self.cells = GcraCells([self.lim, Limit("requests", 10, 1.0)])
        self.now = 0.0
        self.log: list[tuple[float, float]] = []

    @rule(gap=gaps)
    def advance(self, gap: float) -> None:
        self.now += gap

    @rule(cost=st.integers(min_value=1, max_value=20))
    def take_or_wait_exactly(self, cost: int) -> None:
        wait = self.cells.wait_for(self.now, (1, cost, 0, 0))
        got = self.cells.try_take(self.now, (1, cost, 0, 0))
        if got:
            assert got == pytest.approx(max(wait, 0.0))
            self.now += got
            assert self.cells.try_take(self.now, (1, cost, 0, 0)) == 0.0
        self.log.append((self.now, float(cost)))

    @precondition(lambda self: self.log)
    @rule()
    def nothing_is_taken_when_blocked(self) -> None:
        self.cells.block_until(None, self.now + 1.0)
        assert self.cells.try_take(self.now, (1, 1, 0, 0)) > 0
        self.now += 1.0

    @invariant()
    def window_bound_holds(self) -> None:
        for window in (0.25, 1.0):
            bound = max(self.lim.burst, 20) + self.lim.limit * window
            assert admitted_in_windows(self.log, window) <= bound + 1e-6

    @invariant()
    def stats_are_consistent(self) -> None:
        for cell in self.cells.stats(self.now):
            assert 0 <= cell.in_use <= cell.limit
            assert cell.remaining == pytest.approx(cell.limit - cell.in_use)


TestCellMachine = CellMachine.TestCase


def test_limits_validate_their_values() -> None:
    with pytest.raises(ConfigurationError, match="unknown dimension 'calls'"):
        Limit("calls", 1, 1.0)
    with pytest.raises(ConfigurationError, match="period=0"):
        Limit("requests", 1, 0)
    with pytest.raises(ConfigurationError, match="burst=nan"):
        Limit("requests", 1, 1.0, math.nan)
    assert Limit("requests", 5, 7.0).name == "requests_per_7s"


def test_costs_validate_and_derive() -> None:
    assert Cost.of(input_tokens=100, output_tokens=20).tokens == 120
    assert Cost.of().as_tuple() == (1.0, 0.0, 0.0, 0.0)
    with pytest.raises(ConfigurationError, match="not negative"):
        Cost.of(tokens=-1)


def test_learnt_limits_keep_the_state_of_those_that_stay() -> None:
    cells = GcraCells([Limit("requests", 1, 1.0)])
    cells.try_take(0.0, (1, 0, 0, 0))
    cells.set_limits([Limit("requests", 1, 1.0), Limit("tokens", 10, 1.0)], 1.0)
    assert cells.wait_for(0.0, (1, 0, 0, 0)) == pytest.approx(1.0)
    cells.adjust(0.0, (0, 5, 0, 0))  # charging a fresh cell starts its debt now
    assert cells.wait_for(0.0, (0, 1, 0, 0)) == pytest.approx(0.5)


@given(
    gaps_=st.lists(gaps, min_size=1, max_size=40),
    amounts=st.lists(costs, min_size=1, max_size=40),
    cells=st.integers(min_value=1, max_value=3),
)
def test_two_cells_unrolled_take_what_the_general_loop_takes(
    gaps_: list[float], amounts: list[int], cells: int
) -> None:
    """The unrolled path for two cells (and the loop for others) against the checked path."""
    limits = [
        Limit("requests", 5, 1.0, 2),
        Limit("tokens", 100, 1.0, 60),
        Limit("tokens", 500, 60.0),
    ]
    fast, checked = GcraCells(limits[:cells]), GcraCells(limits[:cells])
    now = 0.0
    for gap, amount in zip(gaps_, amounts, strict=False):
        now += gap
        got = fast.try_take(now, (1, amount, amount, 0))
        assert got == pytest.approx(checked.try_take(now, (1, amount, amount, 0), now - 1e-12))
        for probe in (1, 30):
            assert fast.wait_for(now, (1, probe, 0, 0)) == pytest.approx(
                checked.wait_for(now, (1, probe, 0, 0)), abs=1e-9
            )


limit_sets = st.lists(
    st.builds(
        Limit,
        st.sampled_from(["requests", "tokens"]),
        st.integers(min_value=1, max_value=200),
        st.sampled_from([1.0, 60.0]),
        st.integers(min_value=1, max_value=100),
    ),
    min_size=1,
    max_size=3,
)


@example(  # requests and tokens, the tokens cell ahead: the requests cell moves behind it
    limits=[Limit("requests", 100, 1.0, 50), Limit("tokens", 100, 1.0, 100)],
    arrivals=[(0.0, 40), (0.0, 0)],
)
@example(  # the requests cell ahead, then the tokens cell moves past it
    limits=[Limit("requests", 100, 1.0, 50), Limit("tokens", 100, 1.0, 100)],
    arrivals=[(0.0, 0), (0.0, 5)],
)
@example(  # the same with three cells: the loop instead of the unrolled pair
    limits=[Limit("requests", 100, 1.0, 50), Limit("tokens", 100, 1.0, 100),
            Limit("tokens", 200, 1.0, 100)],
    arrivals=[(0.0, 40), (0.0, 0)],
)  # fmt: skip
@given(
    limits=limit_sets,
    arrivals=st.lists(
        st.tuples(gaps, st.integers(min_value=0, max_value=50)), min_size=1, max_size=40
    ),
)
def test_every_shortcut_takes_what_the_full_check_takes(
    limits: list[Limit], arrivals: list[tuple[float, int]]
) -> None:
    """Any limit set, costs of no tokens too: a cell a cost does not charge stays as it was."""
    fast, checked = GcraCells(limits), GcraCells(limits)
    now = 0.0
    for gap, amount in arrivals:
        now += gap / 10
        got = fast.try_take(now, (1, amount, amount, 0))
        assert got == pytest.approx(
            checked.try_take(now, (1, amount, amount, 0), now - 1e-12), abs=1e-9
        )
        for probe in ((1, 0, 0, 0), (0, 30, 0, 0), (1, 30, 0, 0)):
            assert fast.wait_for(now, probe) == pytest.approx(
                checked.wait_for(now, probe), abs=1e-9
            )

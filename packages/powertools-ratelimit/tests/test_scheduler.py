"""The fair queue: per-flow order, weighted shares, and no starvation — for any arrivals."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from powertools.ratelimit import ConfigurationError
from powertools.ratelimit._scheduler import PRIORITY_WEIGHTS, FairQueue, Waiter, check_priority

flows = st.sampled_from([(key, p) for key in ("a", "b", "c") for p in PRIORITY_WEIGHTS])
arrivals = st.lists(st.tuples(flows, st.floats(0.01, 5.0)), min_size=1, max_size=80)


def drain(items: list[tuple[tuple[str, str], float]], cancel: set[int]) -> list[int]:
    loop = asyncio.new_event_loop()
    try:
        queue = FairQueue()
        waiters = []
        for flow, size in items:
            waiter = Waiter(loop.create_future(), (1.0,), False, flow, size)
            waiters.append(queue.push(waiter, PRIORITY_WEIGHTS[flow[1]]))
        for i in cancel:
            waiters[i].future.cancel()
            queue.discard(waiters[i])
        order = []
        virtual = 0.0
        while (head := queue.head()) is not None:
            assert queue.pop() is head
            assert queue.virtual >= virtual  # virtual time never goes back
            virtual = queue.virtual
            order.append(waiters.index(head))
        assert len(queue) == 0
        assert queue.queued_seconds == 0.0
        return order
    finally:
        loop.close()


@given(items=arrivals, data=st.data())
def test_each_flow_is_served_in_arrival_order_and_nobody_is_lost(
    items: list[tuple[tuple[str, str], float]], data: st.DataObject
) -> None:
    cancel = data.draw(st.sets(st.integers(0, len(items) - 1), max_size=len(items) // 2))
    order = drain(items, cancel)
    assert sorted(order) == [i for i in range(len(items)) if i not in cancel]
    for flow in {f for f, _ in items}:
        mine = [i for i in order if items[i][0] == flow]
        assert mine == sorted(mine)


@given(
    n=st.integers(10, 60),
    heavy=st.sampled_from(list(PRIORITY_WEIGHTS)),
    light=st.sampled_from(list(PRIORITY_WEIGHTS)),
)
def test_backlogged_flows_share_by_weight(n: int, heavy: str, light: str) -> None:
    items = [(("x", heavy), 1.0)] * n + [(("y", light), 1.0)] * n
    order = drain(items, set())
    served = Counter(items[i][0][0] for i in order[:n])  # while both flows are backlogged
    share = PRIORITY_WEIGHTS[heavy] / (PRIORITY_WEIGHTS[heavy] + PRIORITY_WEIGHTS[light])
    assert abs(served["x"] - share * n) <= 1.0
    assert abs(served["y"] - (1 - share) * n) <= 1.0


@given(small=st.integers(1, 200), big=st.floats(1.0, 50.0))
def test_a_large_request_waits_for_at_most_its_own_share(small: int, big: float) -> None:
    items = [(("chatty", "normal"), 0.1)] * small + [(("big", "normal"), big)]
    order = drain(items, set())
    ahead = order.index(small)
    # equal weights: the chatty flow gets at most as much work ahead as the big request's size
    assert ahead * 0.1 <= big + 0.1 + 1e-9


def test_unknown_priority_names_the_classes() -> None:
    with pytest.raises(ConfigurationError, match="critical, high, normal, low"):
        check_priority("urgent")


@given(st.lists(st.booleans(), min_size=1, max_size=60))
def test_on_change_fires_exactly_when_the_line_empties_or_fills(pushes: list[bool]) -> None:
    """The limiter's fast path opens and closes on this signal: a missed one lets a caller
    pass the line (or shuts the fast path for good), so it must fire on every transition."""
    loop = asyncio.new_event_loop()
    try:
        seen: list[int] = []
        queue = FairQueue(on_change=lambda: seen.append(len(queue)))
        waiting: list[Waiter] = []
        expected: list[int] = []
        for push in pushes:
            if push or not waiting:
                waiter = Waiter(loop.create_future(), (1.0,), False, ("a", "normal"), 1.0)
                waiting.append(queue.push(waiter, 1.0))
                if len(waiting) == 1:
                    expected.append(1)
            else:
                head = queue.head()
                assert head is not None
                waiting.remove(queue.pop())
                if not waiting:
                    expected.append(0)
        assert seen == expected
    finally:
        loop.close()


def test_an_empty_line_has_nothing_ahead() -> None:
    assert FairQueue().seconds_ahead(("a", "low"), 5.0, PRIORITY_WEIGHTS["low"]) == 0.0


def test_a_former_head_served_late_leaves_the_new_head_in_place() -> None:
    """A store answered for a waiter after a higher priority passed it: both are kept right."""
    loop = asyncio.new_event_loop()
    try:
        queue = FairQueue()
        low = queue.push(Waiter(loop.create_future(), (1.0,), False, ("a", "low"), 1.0), 1.0)
        high = queue.push(Waiter(loop.create_future(), (1.0,), False, ("b", "high"), 1.0), 4.0)
        assert queue.head() is high
        queue.serve(low)  # not the head: marked, dropped lazily
        assert (low.served, len(queue), queue.head()) == (True, 1, high)
        assert queue.pop() is high
        assert (queue.head(), len(queue)) == (None, 0)
    finally:
        loop.close()


@given(tenants=st.integers(100, 400), size=st.floats(0.01, 5.0))
def test_finished_tenants_are_forgotten_without_changing_any_tag(tenants: int, size: float) -> None:
    loop = asyncio.new_event_loop()
    try:
        queue = FairQueue()
        for i in range(tenants):  # each tenant calls once and is served at once
            queue.push(Waiter(loop.create_future(), (1.0,), False, (i, "normal"), size), 2.0)
            queue.pop()
        assert len(queue._last) <= 64 + 1  # the memory of flows stays bounded
        for i in (0, tenants // 2, tenants - 1):  # forgotten or not, a tag starts from now
            assert queue.tag((i, "normal"), 1.0, 2.0) == pytest.approx(queue.virtual + 0.5)
    finally:
        loop.close()

"""A running call's reservation is extended before it expires; a crashed one's is not."""

from __future__ import annotations

import gc

import pytest

from powertools.cost import BudgetExceededError, BudgetManager, CostTracker, Usage
from powertools.cost.testing import FakeClock


def manager(clock: FakeClock) -> BudgetManager:
    budgets = BudgetManager(clock=clock, reservation_ttl=60.0)
    budgets.add(1, window="total")
    return budgets


def test_a_kept_alive_reservation_outlives_its_ttl_while_referenced() -> None:
    clock = FakeClock(0.0)
    budgets = manager(clock)
    running = budgets.reserve_sync("0.8", keep_alive=True)
    for _ in range(10):  # ten minutes of a slow call, renewed as the keeper would
        clock.advance(30.0)
        budgets.renewals.renew_sync()
    with pytest.raises(BudgetExceededError):
        budgets.reserve_sync("0.3")
    assert running.expires_at == pytest.approx(clock() + 60.0)
    budgets.commit_sync(running, "0.5")
    assert budgets.renewals.live == {}
    assert budgets.status()[0].held == 0


def test_only_reservations_past_a_third_of_their_life_are_extended() -> None:
    clock = FakeClock(0.0)
    budgets = manager(clock)
    first = budgets.reserve_sync("0.1", keep_alive=True)
    clock.advance(10.0)
    assert budgets.renewals.renew_sync() == 0  # 50 s left of 60: not due
    clock.advance(10.0)
    assert budgets.renewals.renew_sync() == 1
    assert first.expires_at == 80.0


def test_plain_and_abandoned_reservations_still_expire() -> None:
    clock = FakeClock(0.0)
    budgets = manager(clock)
    budgets.reserve_sync("0.5")  # not kept alive: a raw reservation keeps its TTL
    budgets.reserve_sync("0.5", keep_alive=True)  # abandoned: nobody references it
    gc.collect()
    clock.advance(40.0)
    assert budgets.renewals.renew_sync() == 0
    assert budgets.renewals.live == {}
    clock.advance(20.0)
    budgets.reserve_sync(1)  # both holds expired


def test_a_reservation_that_already_expired_is_not_revived() -> None:
    clock = FakeClock(0.0)
    budgets = manager(clock)
    stalled = budgets.reserve_sync("0.5", keep_alive=True)
    clock.advance(61.0)  # the process stalled past the TTL: someone may have taken the money
    assert budgets.renewals.renew_sync() == 0
    assert budgets.renewals.live == {}
    assert budgets.status()[0].held == 0
    budgets.release_sync(stalled)


def test_a_span_keeps_its_hold_for_as_long_as_the_call_runs() -> None:
    clock = FakeClock(1_764_072_000.0)
    tracker = CostTracker(budget_usd=1, clock=clock, reservation_ttl=60.0)
    with tracker.track_call("slow", "gpt-4o", reserve_usd="0.9") as span:
        for _ in range(20):
            clock.advance(25.0)
            tracker.budgets.renewals.renew_sync()
        with pytest.raises(BudgetExceededError), tracker.track_call("other", reserve_usd="0.2"):
            pass
        span.record(Usage(input=1000, output=100))
    assert tracker.budgets.renewals.live == {}
    assert tracker.budgets.status()[0].held == 0


async def test_async_spans_register_for_renewal_too() -> None:
    clock = FakeClock(1_764_072_000.0)
    tracker = CostTracker(budget_usd=1, clock=clock, reservation_ttl=60.0)
    async with tracker.track_call("slow", "gpt-4o", reserve_usd="0.9") as span:
        assert list(tracker.budgets.renewals.live) == [span.id]
        clock.advance(30.0)
        assert await tracker.budgets.renewals.arenew() == 1
        span.record(Usage(input=10, output=1))
    assert tracker.budgets.renewals.live == {}


def test_the_keeper_thread_stays_while_its_managers_live_with_no_call_in_flight() -> None:
    # it used to end whenever its last reservation was settled, so the next call (most calls,
    # when they come one at a time) paid for starting a new thread
    from powertools.cost._renewal import Renewals, _Keeper

    keeper, budgets = _Keeper(), manager(FakeClock(0.0))
    renewals = Renewals(budgets.ledger, ttl=0.003, clock=FakeClock(0.0), background=False)
    keeper._watched.add(renewals)
    assert not renewals.live
    assert keeper.step() == [renewals]  # waited a third of the TTL, then goes on watching
    del renewals
    gc.collect()
    assert keeper.step() is None  # no manager left: the thread may end

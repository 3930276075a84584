"""A running call's reservation is extended before it expires; a crashed one's is not."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable, Coroutine
from decimal import Decimal

import pytest

from powertools.cost import BudgetExceededError, BudgetManager, CostTracker, Ledger, Usage
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


# -- async ledgers: one event-loop timer per live reservation --------------------------------


class FakeTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose timers run on a fake clock: they fire once it is advanced."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.fake = clock

    def time(self) -> float:
        return self.fake()


def on_fake_time(clock: FakeClock, main: Callable[[], Coroutine[None, None, None]]) -> None:
    with asyncio.Runner(loop_factory=lambda: FakeTimeLoop(clock)) as runner:
        runner.run(main())


async def run_due_timers() -> None:
    """Let the loop run what is due now: the timers, then the tasks they start."""
    for _ in range(10):
        await asyncio.sleep(0)


def async_manager(clock: FakeClock, ledger: Ledger) -> BudgetManager:
    budgets = BudgetManager(ledger, clock=clock, reservation_ttl=60.0)
    budgets.add(1, window="total")
    return budgets


def test_an_async_ledgers_running_call_is_renewed_by_its_timer(async_only_ledger: Ledger) -> None:
    clock = FakeClock(0.0)

    async def main() -> None:
        budgets = async_manager(clock, async_only_ledger)
        running = await budgets.reserve("0.8", keep_alive=True)
        clock.advance(19.0)  # due at 20 s, a third of its 60 s life
        await run_due_timers()
        assert running.expires_at == 60.0
        for now in (25.0, 50.0, 75.0, 100.0):
            clock.now = now
            await run_due_timers()
            assert running.expires_at == now + 60.0  # renewed, and its next timer set
        with pytest.raises(BudgetExceededError):  # held long past its first expiry
            await budgets.reserve("0.3")
        await budgets.commit(running, "0.5")
        assert budgets.renewals._timers == {}  # settled: its timer is cancelled
        clock.advance(60.0)
        await run_due_timers()
        [status] = await budgets.astatus()
        assert (status.spent, status.held) == (Decimal("0.5"), 0)

    on_fake_time(clock, main)


def test_an_abandoned_async_reservation_is_not_renewed_by_its_timer(
    async_only_ledger: Ledger,
) -> None:
    clock = FakeClock(0.0)

    async def main() -> None:
        budgets = async_manager(clock, async_only_ledger)
        await budgets.reserve(1, keep_alive=True)  # nobody keeps it: a crashed caller's
        gc.collect()
        clock.advance(30.0)
        await run_due_timers()  # its timer fires and finds nothing to renew
        # and forgets it: a long-running process must not keep a timer and an entry per
        # abandoned reservation (they were kept until the process ended)
        assert (budgets.renewals._timers, budgets.renewals.live) == ({}, {})
        clock.advance(30.0)
        await budgets.reserve(1)  # the abandoned hold expired at 60 s

    on_fake_time(clock, main)


def test_a_stalled_async_reservation_is_not_revived_by_its_timer(
    async_only_ledger: Ledger,
) -> None:
    clock = FakeClock(0.0)

    async def main() -> None:
        budgets = async_manager(clock, async_only_ledger)
        stalled = await budgets.reserve("0.5", keep_alive=True)
        clock.advance(61.0)  # the loop was blocked past the TTL: the hold expired meanwhile
        await run_due_timers()
        assert budgets.renewals.live == {}
        assert budgets.renewals._timers == {}  # and no further timer
        assert stalled.expires_at == 60.0
        assert (await budgets.astatus())[0].held == 0

    on_fake_time(clock, main)


def test_a_failing_async_ledger_is_logged_and_retried_a_third_of_the_ttl_later(
    async_only_ledger: Ledger, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from powertools.cost import LedgerError

    extend, attempts = async_only_ledger.extend, [0]

    async def flaky(key: str, rid: str, *, expires_at: float, now: float) -> bool:
        attempts[0] += 1
        if attempts[0] == 1:
            raise LedgerError("the ledger failed: ConnectionError: connection refused")
        return await extend(key, rid, expires_at=expires_at, now=now)

    monkeypatch.setattr(async_only_ledger, "extend", flaky)
    clock = FakeClock(0.0)

    async def main() -> None:
        budgets = async_manager(clock, async_only_ledger)
        running = await budgets.reserve("0.5", keep_alive=True)
        clock.advance(20.0)
        with caplog.at_level(logging.WARNING, logger="powertools.cost"):
            await run_due_timers()
        assert "could not extend reservations" in caplog.text
        assert "connection refused" in caplog.text
        # not retried at once (a ledger that is down would be asked again and again, and
        # the log flooded), but as the keeper thread does: a third of the TTL later
        assert (attempts[0], running.expires_at) == (1, 60.0)
        clock.advance(19.0)
        await run_due_timers()
        assert attempts[0] == 1
        clock.advance(1.0)
        await run_due_timers()
        assert (attempts[0], running.expires_at) == (2, 100.0)
        await budgets.release(running)

    on_fake_time(clock, main)


async def test_renewing_a_settled_reservation_extends_nothing(async_only_ledger: Ledger) -> None:
    clock = FakeClock(0.0)
    budgets = async_manager(clock, async_only_ledger)
    done = await budgets.reserve("0.5", keep_alive=True)
    await budgets.commit(done, "0.1")
    clock.advance(30.0)
    assert await budgets.renewals.arenew(done) == 0
    assert done.expires_at == 60.0


def test_a_reservation_kept_alive_outside_an_event_loop_gets_no_timer(
    async_only_ledger: Ledger,
) -> None:
    from powertools.cost import Reservation
    from powertools.cost._renewal import Renewals

    renewals = Renewals(async_only_ledger, ttl=60.0, clock=FakeClock(0.0))
    held = Reservation("r1", 10, (), expires_at=60.0)
    renewals.add(held)  # nothing could run a timer here: it is renewed by arenew() only
    assert list(renewals.live) == ["r1"]
    assert renewals._timers == {}


def test_a_timer_finds_a_reservation_already_given_up_and_leaves_it(
    async_only_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    extend, attempts = async_only_ledger.extend, [0]

    async def counted(key: str, rid: str, *, expires_at: float, now: float) -> bool:
        attempts[0] += 1
        return await extend(key, rid, expires_at=expires_at, now=now)

    monkeypatch.setattr(async_only_ledger, "extend", counted)
    clock = FakeClock(0.0)

    async def main() -> None:
        budgets = async_manager(clock, async_only_ledger)
        stalled = await budgets.reserve("0.5", keep_alive=True)
        clock.advance(61.0)  # stalled past its expiry, before its timer could run
        assert await budgets.renewals.arenew() == 0  # a sweep gives it up first
        await run_due_timers()  # then its timer fires: nothing to renew, no new timer
        assert (attempts[0], budgets.renewals._timers, budgets.renewals.live) == (1, {}, {})
        assert stalled.expires_at == 60.0

    on_fake_time(clock, main)

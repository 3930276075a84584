"""Budgets: reserve, commit, release; expiry; alerts once per window; scopes; time zones."""

from __future__ import annotations

import asyncio
import warnings
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from powertools.cost import (
    Alert,
    BudgetAlertWarning,
    BudgetExceededError,
    BudgetManager,
    LedgerError,
    MemoryLedger,
)
from powertools.cost.testing import FakeClock


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


async def test_reserve_commit_release_and_refusal_before_spending() -> None:
    clock = FakeClock(at("2026-11-25T12:00:00"))
    budgets = BudgetManager(clock=clock)
    budgets.add("1.00", window="daily")
    first = await budgets.reserve("0.60")
    with pytest.raises(BudgetExceededError) as refused:
        await budgets.reserve("0.50")
    assert refused.value.available == Decimal("0.4")
    await budgets.commit(first, "0.10")
    second = await budgets.reserve("0.50")
    await budgets.release(second)
    [status] = await budgets.astatus()
    assert (status.spent, status.held, status.remaining) == (Decimal("0.1"), 0, Decimal("0.9"))
    await budgets.commit(second, "5")  # settled already: ignored
    assert (await budgets.astatus())[0].spent == Decimal("0.1")


async def test_reservations_expire_so_a_crashed_caller_leaks_nothing_for_long() -> None:
    clock = FakeClock(0.0)
    budgets = BudgetManager(clock=clock, reservation_ttl=30.0)
    budgets.add(1, window="total")
    await budgets.reserve(1)  # the caller "crashes" and never settles
    with pytest.raises(BudgetExceededError):
        await budgets.reserve("0.01")
    clock.advance(30.0)
    await budgets.reserve(1)


async def test_alerts_fire_exactly_once_per_window() -> None:
    clock = FakeClock(at("2026-11-25T23:00:00"))
    seen: list[Alert] = []

    async def remember(alert: Alert) -> None:
        seen.append(alert)

    budgets = BudgetManager(clock=clock, on_alert=remember)
    budgets.add(10, window="daily", alert_at=["5", "8"])
    for _ in range(10):
        await budgets.commit(await budgets.reserve(1), 1)
        if len(seen) == 2:
            break
    assert [a.threshold for a in seen] == [Decimal(5), Decimal(8)]
    for _ in range(2):
        await budgets.commit(await budgets.reserve(1), 1)
    assert len(seen) == 2
    clock.advance(3600)  # next day: a new window, the alert may fire again
    await budgets.commit(await budgets.reserve(6), 6)
    assert len(seen) == 3
    assert seen[-1].window.endswith("2026-11-26")


def test_daily_windows_follow_the_chosen_time_zone() -> None:
    clock = FakeClock(at("2026-11-25T03:00:00"))  # 22:00 on the 24th in New York
    budgets = BudgetManager(clock=clock, tz="America/New_York")
    budgets.add(1, window="daily")
    budgets.commit_sync(budgets.reserve_sync(1), 1)
    with pytest.raises(BudgetExceededError):
        budgets.reserve_sync("0.01")
    clock.advance(2 * 3600)  # midnight in New York
    budgets.reserve_sync(1)
    assert budgets.status()[0].window.endswith("2026-11-25")


def test_monthly_window_and_bad_window_name() -> None:
    budgets = BudgetManager(clock=FakeClock(at("2026-11-30T23:59:00")))
    budgets.add(1)
    assert budgets.status()[0].window == "global-monthly:2026-11"
    with pytest.raises(ValueError, match="window must be"):
        budgets.add(1, window="weekly")  # type: ignore[arg-type]


def test_budgets_per_user_task_and_tag() -> None:
    budgets = BudgetManager(clock=FakeClock(0.0))
    budgets.add(10, window="total")
    budgets.add(1, window="total", user="alice")
    budgets.add(2, window="total", task="summarise")
    budgets.add(3, window="total", tag="beta")
    budgets.reserve_sync(1, user="alice")
    with pytest.raises(BudgetExceededError, match="user=alice"):
        budgets.reserve_sync(1, user="alice")
    budgets.reserve_sync(1, user="bob")  # only the global budget applies
    budgets.reserve_sync(2, task="summarise", user="bob")
    with pytest.raises(BudgetExceededError, match="tag=beta"):
        budgets.reserve_sync("3.5", tags=["beta"])
    held = {s.budget.name: s.held for s in budgets.status()}
    # a refused reservation leaves nothing behind in the budgets it had already passed
    assert held == {
        "global-total": Decimal(4),
        "user=alice-total": Decimal(1),
        "task=summarise-total": Decimal(2),
        "tag=beta-total": Decimal(0),
    }


def test_amounts_are_validated() -> None:
    budgets = BudgetManager()
    with pytest.raises(ValueError, match="exactly one"):
        budgets.reserve_sync()
    with pytest.raises(ValueError, match="negative"):
        budgets.reserve_sync(-1)
    with pytest.raises(ValueError, match="15 decimals"):
        budgets.add("0.0000000000000001")


def test_async_only_ledgers_refuse_the_sync_api() -> None:
    class AsyncOnly(MemoryLedger):
        reserve_sync = None  # type: ignore[assignment]

    budgets = BudgetManager(AsyncOnly())
    with pytest.raises(LedgerError, match="async with"):
        budgets.reserve_sync(1)


class BudgetMachine(RuleBasedStateMachine):
    """The ledger against a plain model: spent + held never passes the limit."""

    LIMIT = 100

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock(0.0)
        self.budgets = BudgetManager(clock=self.clock, reservation_ttl=10.0)
        self.budgets.add(Decimal(self.LIMIT), window="total")
        self.open: dict[int, tuple[object, int, float]] = {}
        self.spent = 0
        self.count = 0
        self.late = False  # a commit after its hold expired may overshoot: money was spent

    def live_held(self) -> int:
        now = self.clock()
        return sum(a for _, a, until in self.open.values() if until > now)

    @rule(amount=st.integers(0, 60))
    def reserve(self, amount: int) -> None:
        fits = self.spent + self.live_held() + amount <= self.LIMIT
        try:
            r = self.budgets.reserve_sync(amount)
        except BudgetExceededError:
            assert not fits
            return
        assert fits
        self.count += 1
        self.open[self.count] = (r, amount, self.clock() + 10.0)

    @precondition(lambda self: self.open)
    @rule(data=st.data(), fraction=st.integers(0, 100))
    def commit(self, data: st.DataObject, fraction: int) -> None:
        rid = data.draw(st.sampled_from(sorted(self.open)))
        r, amount, until = self.open.pop(rid)
        actual = amount * fraction // 100
        self.late = self.late or (until <= self.clock() and actual > 0)
        self.budgets.commit_sync(r, actual)  # type: ignore[arg-type]
        self.spent += actual

    @precondition(lambda self: self.open)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        rid = data.draw(st.sampled_from(sorted(self.open)))
        r, _, _ = self.open.pop(rid)
        self.budgets.release_sync(r)  # type: ignore[arg-type]

    @rule(seconds=st.floats(0, 6))
    def time_passes(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @invariant()
    def matches_the_model(self) -> None:
        [status] = self.budgets.status()
        assert status.spent == self.spent
        assert status.held == self.live_held()
        if not self.late:
            assert status.spent + status.held <= self.LIMIT


TestBudgetMachine = BudgetMachine.TestCase
TestBudgetMachine.settings = settings(stateful_step_count=30)


def test_budget_names_and_keys_encode_every_scope() -> None:
    """Issue 13.3: user=alice/task=a and user=alice/task=b are two budgets, two ledger keys."""
    budgets = BudgetManager(clock=lambda: 0.0)
    a = budgets.add(1, user="alice", task="a")
    b = budgets.add(1, user="alice", task="b")
    assert (a.name, b.name) == ("user=alice,task=a-monthly", "user=alice,task=b-monthly")
    budgets.commit_sync(budgets.reserve_sync("0.9", user="alice", task="a"), "0.9")
    budgets.reserve_sync("0.9", user="alice", task="b")  # b's money is b's own
    [sa, sb] = budgets.status()
    assert sa.window != sb.window
    assert (sa.spent, sb.spent, sb.held) == (Decimal("0.9"), 0, Decimal("0.9"))
    with pytest.raises(ValueError, match="already exists"):
        budgets.add(5, user="alice", task="a")


def test_an_alert_without_a_callback_warns_and_logs_once_per_window(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 13.4: the spec's alert_threshold_usd=80.0 alone is heard."""
    from powertools.cost import BudgetAlertWarning, CostTracker, Usage
    from powertools.cost.testing import FakeClock

    clock = FakeClock(1_764_547_200.0)  # 2025-12-01
    tracker = CostTracker(budget_usd=100.0, alert_threshold_usd=80.0, clock=clock)

    def spend(dollars: int) -> None:  # gpt-4o-mini: $0.60 per million output tokens
        with tracker.track_call("t", reserve_usd=dollars) as span:
            span.record(Usage(output=dollars * 1_000_000 // 60 * 100), model="gpt-4o-mini")

    spend(50)
    with pytest.warns(BudgetAlertWarning, match=r"crossed its \$80 alert threshold"):
        spend(40)
    assert "crossed its $80 alert threshold" in caplog.text
    with warnings.catch_warnings():
        warnings.simplefilter("error", BudgetAlertWarning)
        spend(1)  # the same window: no second alert
    clock.advance(31 * 86400)  # January: a new window, a new alert
    spend(50)
    with pytest.warns(BudgetAlertWarning):
        spend(40)


def test_a_sync_span_awaits_an_async_alert_callback() -> None:
    seen: list[Alert] = []

    async def notify(alert: Alert) -> None:
        await asyncio.sleep(0)
        seen.append(alert)

    budgets = BudgetManager(clock=lambda: 0.0, on_alert=notify)
    budgets.add(1, window="daily", alert_at=["0.5"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "coroutine ... was never awaited" would fail here
        budgets.commit_sync(budgets.reserve_sync("0.6"), "0.6")
    assert [a.threshold for a in seen] == [Decimal("0.5")]


async def test_a_sync_commit_inside_a_running_loop_schedules_the_async_callback() -> None:
    seen: list[Alert] = []

    async def notify(alert: Alert) -> None:
        seen.append(alert)

    budgets = BudgetManager(clock=lambda: 0.0, on_alert=notify)
    budgets.add(1, window="daily", alert_at=["0.5"])
    budgets.commit_sync(budgets.reserve_sync("0.6"), "0.6")
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert len(seen) == 1


async def test_commit_takes_the_calls_usage_and_model() -> None:
    """The router commits what the provider reported: usage or cost."""
    from powertools.cost import Usage

    budgets = BudgetManager(clock=lambda: 0.0)
    budgets.add(1, window="daily")
    held = await budgets.reserve("0.5")
    await budgets.commit(held, Usage(input=1000, output=500), model="gpt-4o-mini")
    assert budgets.status()[0].spent == Decimal("0.00045")
    local = budgets.reserve_sync("0.1")
    budgets.commit_sync(local, Usage(input=10, output=10), model="llama3.2", provider="ollama")
    assert budgets.status()[0].spent == Decimal("0.00045")
    unpriced = budgets.reserve_sync("0.1")
    with pytest.raises(ValueError, match="needs model="):
        budgets.commit_sync(unpriced, Usage(input=1))
    budgets.release_sync(unpriced)  # a refused commit leaves the hold to settle
    assert budgets.status()[0].held == 0


def test_alert_callbacks_registered_with_the_decorator_are_called_once() -> None:
    budgets = BudgetManager(clock=lambda: 0.0)
    budgets.add(1, window="daily", alert_at=["0.5"])
    seen: list[Alert] = []

    @budgets.on_alert
    def remember(alert: Alert) -> None:
        seen.append(alert)

    assert remember.__name__ == "remember"  # the decorator hands the function back
    with warnings.catch_warnings():
        warnings.simplefilter("error", BudgetAlertWarning)  # a callback: no warning
        budgets.commit_sync(budgets.reserve_sync("0.6"), "0.6")
        budgets.commit_sync(budgets.reserve_sync("0.1"), "0.1")
    [alert] = seen
    assert (alert.threshold, alert.spent, alert.window) == (
        Decimal("0.5"),
        Decimal("0.6"),
        "global-daily:1970-01-01",
    )


async def test_an_async_refusal_releases_what_the_earlier_budgets_had_held() -> None:
    budgets = BudgetManager(clock=lambda: 0.0)
    budgets.add(10, window="total")
    budgets.add(1, window="total", user="alice")
    with pytest.raises(BudgetExceededError, match="user=alice-total") as refused:
        await budgets.reserve(2, user="alice")
    assert refused.value.available == Decimal(1)
    held = {s.budget.name: s.held for s in await budgets.astatus()}
    assert held == {"global-total": 0, "user=alice-total": 0}


async def test_a_cancelled_reservation_leaves_nothing_held() -> None:
    class Stalling(MemoryLedger):
        """The second budget's reserve never answers (a ledger that hangs)."""

        def __init__(self) -> None:
            super().__init__()
            self.entered = asyncio.Event()

        async def reserve(self, key: str, *args: object, **kwargs: object) -> bool:
            if key.startswith("user="):
                self.entered.set()
                await asyncio.Event().wait()
            return await super().reserve(key, *args, **kwargs)  # type: ignore[arg-type]

    ledger = Stalling()
    budgets = BudgetManager(ledger, clock=lambda: 0.0)
    budgets.add(10, window="total")
    budgets.add(5, window="total", user="alice")
    task = asyncio.create_task(budgets.reserve(2, user="alice"))
    await ledger.entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [s.held for s in await budgets.astatus()] == [0, 0]


def test_settling_a_reservation_twice_changes_nothing() -> None:
    budgets = BudgetManager(clock=lambda: 0.0)
    budgets.add(1, window="total")
    first = budgets.reserve_sync("0.5")
    budgets.commit_sync(first, "0.25")
    budgets.commit_sync(first, "0.5")  # a retried commit
    budgets.spend_sync(first, 10**15)  # a span's spend after the commit
    budgets.release_sync(first)  # and a release after it: the money stays spent
    [status] = budgets.status()
    assert (status.spent, status.held) == (Decimal("0.25"), 0)


async def test_an_async_release_after_a_commit_keeps_the_money_spent() -> None:
    budgets = BudgetManager(clock=lambda: 0.0)
    budgets.add(1, window="total")
    reservation = await budgets.reserve("0.5")
    await budgets.commit(reservation, "0.3")
    await budgets.release(reservation)
    [status] = await budgets.astatus()
    assert (status.spent, status.held, status.remaining) == (Decimal("0.3"), 0, Decimal("0.7"))


async def test_overrun_callbacks_hear_of_calls_that_cost_more_than_their_hold() -> None:
    from powertools.cost import BudgetOverrunWarning, Overrun

    budgets = BudgetManager(clock=lambda: 0.0)
    budgets.add(1, window="total")
    heard: list[Overrun] = []

    @budgets.on_overrun
    async def remember(event: Overrun) -> None:
        await asyncio.sleep(0)
        heard.append(event)

    await budgets.commit(await budgets.reserve("0.1"), "0.4")  # over its hold, under the limit
    with pytest.warns(BudgetOverrunWarning, match=r"over its \$1 limit"):
        await budgets.commit(await budgets.reserve("0.1"), "0.7")
    assert [(e.held, e.cost, e.spent, e.over_limit) for e in heard] == [
        (Decimal("0.1"), Decimal("0.4"), Decimal("0.4"), False),
        (Decimal("0.1"), Decimal("0.7"), Decimal("1.1"), True),
    ]
    assert (budgets.overruns, budgets.overrun_fd) == (2, 9 * 10**14)
    with pytest.raises(BudgetExceededError):  # past the limit: the next call is refused
        await budgets.reserve("0.01")


def test_a_sync_overrun_callback_is_called_with_the_event() -> None:
    from powertools.cost import Overrun

    heard: list[Overrun] = []
    budgets = BudgetManager(clock=lambda: 0.0, on_overrun=heard.append)
    budgets.add(1, window="total")
    budgets.commit_sync(budgets.reserve_sync("0.2"), "0.2")  # as held: no overrun
    budgets.commit_sync(budgets.reserve_sync("0.2"), "0.5")
    [event] = heard
    assert (event.held, event.cost, event.spent, event.over_limit) == (
        Decimal("0.2"),
        Decimal("0.5"),
        Decimal("0.7"),
        False,
    )
    assert budgets.overruns == 1


async def test_an_async_commit_without_alert_callbacks_warns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    budgets = BudgetManager(clock=lambda: 0.0)
    budgets.add(10, window="total", alert_at=[8])
    with pytest.warns(BudgetAlertWarning, match=r"crossed its \$8 alert threshold: \$9 spent"):
        await budgets.commit(await budgets.reserve(9), 9)
    assert "global-total" in caplog.text

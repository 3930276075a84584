"""Hard budgets: reserve the worst case, commit the actual cost, release the rest.

A call that cannot fit raises :class:`BudgetExceededError` before any money is spent.
Reservations expire, so a crashed process holds budget only until its TTL runs out.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from powertools.cost._ids import new_id
from powertools.cost._ledger import Ledger, MemoryLedger, SyncLedger
from powertools.cost._money import fd_from_usd, usd
from powertools.cost._renewal import Renewals
from powertools.cost._usage import Usage
from powertools.cost._windows import Window, window_bounds, window_id
from powertools.cost.errors import (
    BudgetAlertWarning,
    BudgetExceededError,
    BudgetOverrunWarning,
    LedgerError,
)

__all__ = ["Alert", "Budget", "BudgetManager", "BudgetStatus", "Overrun", "Reservation"]

if TYPE_CHECKING:
    import asyncio
    import logging


def log() -> logging.Logger:
    """The package's logger (``logging`` is imported only when something is logged)."""
    import logging

    return logging.getLogger("powertools.cost")


@dataclass(slots=True, frozen=True)
class Budget:
    """A limit over a calendar window, for everyone or for one user, task or tag."""

    name: str
    limit_fd: int
    window: Window = "monthly"
    user: str | None = None
    task: str | None = None
    tag: str | None = None
    alert_at_fd: tuple[int, ...] = ()

    @property
    def limit(self) -> Decimal:
        """The limit in dollars."""
        return usd(self.limit_fd)

    def applies(self, user: str | None, task: str | None, tags: Iterable[str]) -> bool:
        """Whether a call by ``user`` for ``task`` with ``tags`` counts against this budget."""
        return (
            (self.user is None or self.user == user)
            and (self.task is None or self.task == task)
            and (self.tag is None or self.tag in tags)
        )


@dataclass(slots=True, frozen=True)
class Alert:
    """A soft threshold crossed: fired once per budget, window and threshold."""

    budget: Budget
    window: str
    threshold: Decimal
    spent: Decimal


@dataclass(slots=True, frozen=True)
class Overrun:
    """A call that cost more than it had reserved, and what that did to one budget.

    ``over_limit`` is True when it took the budget past its limit: the next call is refused.
    """

    budget: Budget
    window: str
    held: Decimal
    cost: Decimal
    spent: Decimal
    over_limit: bool


@dataclass(slots=True, frozen=True)
class BudgetStatus:
    """A budget's state in its current window."""

    budget: Budget
    window: str
    spent: Decimal
    held: Decimal
    remaining: Decimal


@dataclass(slots=True, eq=False, weakref_slot=True)
class Reservation:
    """Money held for one call in every budget it counts against, until ``expires_at``.

    One taken with ``keep_alive=True`` (a span's) is extended before it expires for as long
    as it is referenced and unsettled (see ``_renewal``).
    """

    id: str
    amount_fd: int
    keys: tuple[tuple[Budget, str], ...]
    expires_at: float = 0.0
    settled: bool = field(default=False)


AlertCallback = Callable[[Alert], object]
OverrunCallback = Callable[[Overrun], object]


class BudgetManager:
    """Budgets with hard limits and soft alerts, kept in a ledger.

    >>> budgets = BudgetManager(clock=lambda: 0.0)
    >>> _ = budgets.add(1, window="daily")
    >>> r = budgets.reserve_sync("0.75")
    >>> budgets.reserve_sync("0.5")
    Traceback (most recent call last):
    ...
    powertools.cost.errors.BudgetExceededError: budget 'global-daily' cannot fit this call: ...
    >>> budgets.commit_sync(r, "0.25"); budgets.status()[0].remaining
    Decimal('0.75')
    """

    def __init__(
        self,
        ledger: Ledger | str | None = None,
        *,
        tz: str = "UTC",
        clock: Callable[[], float] = time.time,
        reservation_ttl: float = 600.0,
        on_alert: AlertCallback | None = None,
        on_overrun: OverrunCallback | None = None,
    ) -> None:
        self.ledger: Ledger = _ledger(ledger)
        from zoneinfo import ZoneInfo

        self.tz = ZoneInfo(tz)
        self.clock = clock
        self.reservation_ttl = reservation_ttl
        self.budgets: list[Budget] = []
        # a runtime Protocol check costs microseconds: do it once
        self._sync_ledger = self.ledger if isinstance(self.ledger, SyncLedger) else None
        self._windows: dict[str, tuple[str, float, float]] = {}
        # every budget's key in its current window, valid for now in [start, end)
        self._current: tuple[float, float, tuple[tuple[Budget, str], ...]] = (0.0, 0.0, ())
        self._scoped = False  # some budget counts only one user, task or tag
        self._callbacks: list[AlertCallback] = [on_alert] if on_alert else []
        self._overrun_callbacks: list[OverrunCallback] = [on_overrun] if on_overrun else []
        # commits above their hold: how many, and by how much in all (femto-dollars)
        self.overruns = 0
        self.overrun_fd = 0
        self._pending: set[asyncio.Task[object]] = set()  # async callbacks of sync commits
        self.renewals = Renewals(self.ledger, ttl=reservation_ttl, clock=clock)

    def add(
        self,
        limit_usd: Decimal | float | str,
        *,
        window: Window = "monthly",
        user: str | None = None,
        task: str | None = None,
        tag: str | None = None,
        alert_at: Iterable[Decimal | float | str] = (),
        name: str | None = None,
    ) -> Budget:
        """Add a budget; ``alert_at`` are dollar amounts at which alerts fire.

        Its name (and so its ledger keys) encodes every scope it applies to, e.g.
        ``user=alice,task=a-monthly``; two budgets cannot share a name.
        """
        window_id(window, 0.0, self.tz)  # validates the window name
        scopes = [f"{k}={v}" for k, v in (("user", user), ("task", task), ("tag", tag)) if v]
        name = name or f"{','.join(scopes) or 'global'}-{window}"
        if any(b.name == name for b in self.budgets):
            raise ValueError(
                f"a budget named {name!r} already exists and would share its ledger keys; "
                "pass name= to tell the two apart"
            )
        budget = Budget(
            name,
            fd_from_usd(limit_usd, what="limit_usd"),
            window,
            user,
            task,
            tag,
            tuple(sorted(fd_from_usd(a, what="alert_at") for a in alert_at)),
        )
        self.budgets.append(budget)
        self._current = (0.0, 0.0, ())
        self._scoped = self._scoped or any((user, task, tag))
        return budget

    def on_alert(self, callback: AlertCallback) -> AlertCallback:
        """Register an alert callback (usable as a decorator)."""
        self._callbacks.append(callback)
        return callback

    def _keys(
        self, user: str | None, task: str | None, tags: Iterable[str], now: float
    ) -> tuple[tuple[Budget, str], ...]:
        keys = self._all_keys(now)
        if not self._scoped:
            return keys
        tags = tuple(tags)
        return tuple(bk for bk in keys if bk[0].applies(user, task, tags))

    def _window(self, window: Window, now: float) -> str:
        name, start, end = self._windows.get(window) or ("", 0.0, 0.0)
        if not start <= now < end:
            name, start, end = window_bounds(window, now, self.tz)
            self._windows[window] = (name, start, end)
        return name

    def _sync(self) -> SyncLedger:
        if self._sync_ledger is None:
            raise LedgerError(
                f"{type(self.ledger).__name__} is async only: use 'async with' and the a-methods"
            )
        return self._sync_ledger

    async def reserve(
        self,
        amount_usd: Decimal | float | str | None = None,
        *,
        amount_fd: int | None = None,
        user: str | None = None,
        task: str | None = None,
        tags: Iterable[str] = (),
        rid: str | None = None,
        keep_alive: bool = False,
    ) -> Reservation:
        """Hold the worst-case cost in every budget that applies, or raise before spending.

        ``rid`` names the reservation (a new id by default); committing it twice is a no-op.
        The hold expires after ``reservation_ttl`` unless settled first; with ``keep_alive``
        it is extended while the returned object is referenced and unsettled, so a running
        call never loses its hold, while a crashed process's holds still expire.
        """
        amount = _amount(amount_usd, amount_fd)
        now = self.clock()
        keys = self._keys(user, task, tags, now)
        reservation = Reservation(rid or new_id(), amount, keys, now + self.reservation_ttl)
        held: list[str] = []
        try:
            for budget, key in reservation.keys:
                if not await self.ledger.reserve(
                    key,
                    budget.limit_fd,
                    amount,
                    reservation.id,
                    expires_at=reservation.expires_at,
                    now=now,
                ):
                    spent, hold = await self.ledger.totals(key, now)
                    raise _refused(budget, amount, spent + hold)
                held.append(key)
        except BaseException:
            for done in held:  # also on cancellation: nothing stays held
                await self.ledger.release(done, reservation.id)
            raise
        if keep_alive:
            self.renewals.add(reservation)
        return reservation

    def reserve_sync(
        self,
        amount_usd: Decimal | float | str | None = None,
        *,
        amount_fd: int | None = None,
        user: str | None = None,
        task: str | None = None,
        tags: Iterable[str] = (),
        rid: str | None = None,
        keep_alive: bool = False,
    ) -> Reservation:
        """:meth:`reserve` for ledgers that answer synchronously (memory, SQLite)."""
        amount = _amount(amount_usd, amount_fd)
        return self.hold_sync(
            amount, user, task, tuple(tags), rid or new_id(), keep_alive=keep_alive
        )

    def hold_sync(
        self,
        amount_fd: int,
        user: str | None,
        task: str | None,
        tags: tuple[str, ...],
        rid: str,
        *,
        keep_alive: bool = True,
    ) -> Reservation:
        """:meth:`reserve_sync` of a checked amount (a span's path: positional, no parsing)."""
        ledger = self._sync_ledger or self._sync()
        now = self.clock()
        start, end, keys = self._current
        if not start <= now < end:
            keys = self._all_keys(now)
        if self._scoped:
            keys = tuple(bk for bk in keys if bk[0].applies(user, task, tags))
        expires_at = now + self.reservation_ttl
        reservation = Reservation(rid, amount_fd, keys, expires_at)
        for budget, key in keys:
            if not ledger.reserve_sync(
                key, budget.limit_fd, amount_fd, rid, expires_at=expires_at, now=now
            ):
                raise _refused_sync(ledger, reservation, budget, key, now)
        if keep_alive:
            self.renewals.add(reservation)
        return reservation

    async def commit(
        self,
        reservation: Reservation,
        actual_usd: Decimal | float | str | Usage | None = None,
        *,
        actual_fd: int | None = None,
        model: str | None = None,
        provider: str | None = None,
    ) -> None:
        """Spend the actual cost and drop the hold; fires alerts whose threshold is crossed.

        The actual cost is dollars, ``actual_fd``, or the call's :class:`Usage` with its
        ``model`` (and ``provider``), priced with the shipped price book.
        """
        if reservation.settled:
            return
        amount = _actual(actual_usd, actual_fd, model, provider)  # a bad amount holds on
        reservation.settled = True
        self.renewals.discard(reservation)
        for budget, key in reservation.keys:
            spent = await self.ledger.commit(key, reservation.id, amount)
            if amount > reservation.amount_fd:
                await self._overran(reservation, budget, key, amount, spent)
            for threshold in budget.alert_at_fd:
                if spent >= threshold and await self.ledger.first_alert(key, str(threshold)):
                    await self._fire(Alert(budget, key, usd(threshold), usd(spent)))

    def commit_sync(
        self,
        reservation: Reservation,
        actual_usd: Decimal | float | str | Usage | None = None,
        *,
        actual_fd: int | None = None,
        model: str | None = None,
        provider: str | None = None,
    ) -> None:
        """:meth:`commit` for synchronous ledgers.

        An async alert callback is scheduled on the running loop, or run to completion when
        there is none: it is never dropped.
        """
        if reservation.settled:
            return
        self.spend_sync(reservation, _actual(actual_usd, actual_fd, model, provider))

    def spend_sync(self, reservation: Reservation, amount_fd: int) -> None:
        """:meth:`commit_sync` of a checked amount (a span's path); fires crossed alerts."""
        ledger = self._sync_ledger or self._sync()
        if reservation.settled:
            return
        reservation.settled = True
        self.renewals.discard(reservation)
        for budget, key in reservation.keys:
            spent = ledger.commit_sync(key, reservation.id, amount_fd)
            if amount_fd > reservation.amount_fd:
                self._overran_sync(reservation, budget, key, amount_fd, spent)
            for threshold in budget.alert_at_fd:
                if spent >= threshold and ledger.first_alert_sync(key, str(threshold)):
                    self._fire_sync(Alert(budget, key, usd(threshold), usd(spent)))

    async def release(self, reservation: Reservation) -> None:
        """Drop the hold without spending (the call failed before costing anything)."""
        if not reservation.settled:
            reservation.settled = True
            self.renewals.discard(reservation)
            for _, key in reservation.keys:
                await self.ledger.release(key, reservation.id)

    def release_sync(self, reservation: Reservation) -> None:
        """:meth:`release` for synchronous ledgers."""
        ledger = self._sync()
        if not reservation.settled:
            reservation.settled = True
            self.renewals.discard(reservation)
            for _, key in reservation.keys:
                ledger.release_sync(key, reservation.id)

    def on_overrun(self, callback: OverrunCallback) -> OverrunCallback:
        """Register a callback for calls that cost more than their hold (a decorator too)."""
        self._overrun_callbacks.append(callback)
        return callback

    def _overrun(
        self, reservation: Reservation, budget: Budget, key: str, amount: int, spent: int
    ) -> Overrun:
        event = Overrun(
            budget,
            key,
            usd(reservation.amount_fd),
            usd(amount),
            usd(spent),
            spent > budget.limit_fd,
        )
        self.overruns += 1
        self.overrun_fd += amount - reservation.amount_fd
        if event.over_limit:
            message = (
                f"budget {budget.name!r} ({key}) is over its ${budget.limit} limit: a call held "
                f"${event.held} but cost ${event.cost}, so ${event.spent} is spent. Later calls "
                "are refused; pass prompt and max_tokens to track_call() so the hold is the "
                "call's worst case"
            )
            log().warning(message)
            warnings.warn(message, BudgetOverrunWarning, stacklevel=4)
        return event

    async def _overran(
        self, reservation: Reservation, budget: Budget, key: str, amount: int, spent: int
    ) -> None:
        event = self._overrun(reservation, budget, key, amount, spent)
        for callback in self._overrun_callbacks:
            result = callback(event)
            if isinstance(result, Awaitable):
                await result

    def _overran_sync(
        self, reservation: Reservation, budget: Budget, key: str, amount: int, spent: int
    ) -> None:
        event = self._overrun(reservation, budget, key, amount, spent)
        for callback in self._overrun_callbacks:
            self._settle_result(callback(event))

    def _warn_alert(self, alert: Alert) -> None:
        message = (
            f"budget {alert.budget.name!r} ({alert.window}) crossed its ${alert.threshold} alert "
            f"threshold: ${alert.spent} spent of ${alert.budget.limit}"
        )
        log().warning(message)
        warnings.warn(message, BudgetAlertWarning, stacklevel=4)

    async def _fire(self, alert: Alert) -> None:
        if not self._callbacks:
            self._warn_alert(alert)
        for callback in self._callbacks:
            result = callback(alert)
            if isinstance(result, Awaitable):
                await result

    def _fire_sync(self, alert: Alert) -> None:
        if not self._callbacks:
            self._warn_alert(alert)
        for callback in self._callbacks:
            self._settle_result(callback(alert))

    def _settle_result(self, result: object) -> None:
        """Await a sync commit's async callback: on the running loop, else to completion."""
        if not isinstance(result, Awaitable):
            return
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            asyncio.run(_awaited(result))
            return
        task = loop.create_task(_awaited(result))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def _status(self, budget: Budget, key: str, spent: int, held: int) -> BudgetStatus:
        return BudgetStatus(
            budget, key, usd(spent), usd(held), usd(max(budget.limit_fd - spent - held, 0))
        )

    def status(self) -> list[BudgetStatus]:
        """Every budget in its current window (synchronous ledgers)."""
        ledger, now = self._sync(), self.clock()
        return [self._status(b, k, *ledger.totals_sync(k, now)) for b, k in self._all_keys(now)]

    async def astatus(self) -> list[BudgetStatus]:
        """Every budget in its current window."""
        now = self.clock()
        return [
            self._status(b, k, *await self.ledger.totals(k, now)) for b, k in self._all_keys(now)
        ]

    def _all_keys(self, now: float) -> tuple[tuple[Budget, str], ...]:
        start, end, keys = self._current
        if not start <= now < end:
            keys = tuple((b, f"{b.name}:{self._window(b.window, now)}") for b in self.budgets)
            bounds = [self._windows[b.window][1:] for b in self.budgets]
            start = max((s for s, _ in bounds), default=float("-inf"))
            end = min((e for _, e in bounds), default=float("inf"))
            self._current = (start, end, keys)
        return keys


async def _awaited(result: Awaitable[object]) -> object:
    return await result


def _actual(
    actual: Decimal | float | str | Usage | None,
    actual_fd: int | None,
    model: str | None,
    provider: str | None,
) -> int:
    if not isinstance(actual, Usage):
        return _amount(actual, actual_fd)
    if model is None:
        raise ValueError("commit(reservation, usage) needs model= to price the usage")
    from powertools.cost._pricebook import PriceBook

    return PriceBook.default().cost_fd(actual, model, provider=provider)


def _amount(amount_usd: Decimal | float | str | None, amount_fd: int | None) -> int:
    if amount_usd is None and type(amount_fd) is int and amount_fd >= 0:  # the spans' path
        return amount_fd
    if (amount_usd is None) == (amount_fd is None):
        raise ValueError("give exactly one of the dollar amount or amount_fd")
    amount = amount_fd if amount_fd is not None else fd_from_usd(amount_usd)  # type: ignore[arg-type]
    if amount < 0:
        raise ValueError(f"an amount cannot be negative, got {amount}")
    return amount


def _refused_sync(
    ledger: SyncLedger, reservation: Reservation, budget: Budget, key: str, now: float
) -> BudgetExceededError:
    """``key`` cannot fit ``reservation``: drop its holds in the keys before, say why."""
    for _, done in reservation.keys:
        if done == key:
            break
        ledger.release_sync(done, reservation.id)
    spent, hold = ledger.totals_sync(key, now)
    return _refused(budget, reservation.amount_fd, spent + hold)


def _refused(budget: Budget, amount: int, used: int) -> BudgetExceededError:
    return BudgetExceededError(budget.name, usd(amount), usd(max(budget.limit_fd - used, 0)))


def _ledger(ledger: Ledger | str | None) -> Ledger:
    """A ledger object, a URL, or ``$POWERTOOLS_COST_LEDGER``, else memory."""
    if ledger is None:
        ledger = os.environ.get("POWERTOOLS_COST_LEDGER")
    if ledger is None:
        return MemoryLedger()
    if isinstance(ledger, str):
        from powertools.cost._ledgers import open_ledger

        return open_ledger(ledger)
    return ledger

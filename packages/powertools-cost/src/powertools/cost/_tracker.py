"""``CostTracker``: the spec's entry point — track calls, report, forecast."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from powertools.cost._aggregates import Days, retention
from powertools.cost._budget import AlertCallback, BudgetManager, OverrunCallback
from powertools.cost._forecast import Forecast, forecast_daily
from powertools.cost._holds import HoldPolicy
from powertools.cost._ledger import Ledger, SyncLedger
from powertools.cost._money import fd_from_usd, usd
from powertools.cost._pricebook import PriceBook
from powertools.cost._pricing import ModelPrice
from powertools.cost._records import CallRecord
from powertools.cost._report import Analytics, DailyReport, daily_report
from powertools.cost._span import Span
from powertools.cost._tokens import (
    count_message_tokens,
    count_tokens,
    observe_estimate,
    provider_of,
)
from powertools.cost._usage import Usage
from powertools.cost._windows import Window, window_bounds

__all__ = ["CostTracker"]


class CostTracker:
    """Track the cost of LLM calls against a budget that is never overspent.

    Every span reserves its call's worst case before the call. A span not told the size of
    its call is sized by policy: ``unsized_prompt`` prompt tokens (or ``"context_window"``,
    the model's whole window) and the model's maximum output (``unsized_max_tokens`` when
    unknown); a span without a model reserves ``unsized_reserve_usd``, by default the dearest
    such call in the price book. A call that costs more than its hold is still recorded,
    counted in ``budgets.overruns`` and, past the limit, reported and refused next time.

    Memory stays flat: totals, reports and forecasts come from per-day aggregates (kept
    ``retain_days``), and ``records`` holds only the latest ``retain_records`` calls (``None``
    keeps all), which analytics and exports read.

    >>> tracker = CostTracker(budget_usd=10, clock=lambda: 0.0)
    >>> with tracker.track_call("summarise", model="gpt-4o-mini") as span:
    ...     _ = span.record({"usage": {"prompt_tokens": 1000, "completion_tokens": 500}})
    >>> tracker.get_total(), tracker.get_daily_report().remaining
    (Decimal('0.00045'), Decimal('9.99955'))
    """

    def __init__(
        self,
        budget_usd: Decimal | float | str | None = None,
        alert_threshold_usd: Decimal | float | str | None = None,
        *,
        ledger: Ledger | str | None = None,
        prices: PriceBook | None = None,
        fallback_price: ModelPrice | None = None,
        budget_window: Window = "monthly",
        tz: str = "UTC",
        clock: Callable[[], float] = time.time,
        reservation_ttl: float = 600.0,
        on_alert: AlertCallback | None = None,
        on_overrun: OverrunCallback | None = None,
        require_usage: bool = False,
        unsized_prompt: int | Literal["context_window"] = 4096,
        unsized_max_tokens: int = 4096,
        unsized_reserve_usd: Decimal | float | str | None = None,
        retain_records: int | None = 10_000,
        retain_days: int = 400,
    ) -> None:
        self.clock = clock
        self.budgets = BudgetManager(
            ledger,
            tz=tz,
            clock=clock,
            reservation_ttl=reservation_ttl,
            on_alert=on_alert,
            on_overrun=on_overrun,
        )
        no_model = None
        if unsized_reserve_usd is not None:
            no_model = fd_from_usd(unsized_reserve_usd, what="unsized_reserve_usd")
        self.hold_policy = HoldPolicy(unsized_prompt, unsized_max_tokens, no_model)
        # unsized holds per (model, provider, batch), with the price book version they used
        self._unsized: dict[object, tuple[int, int]] = {}
        self.budget = None
        if budget_usd is not None:
            alerts = () if alert_threshold_usd is None else (alert_threshold_usd,)
            self.budget = self.budgets.add(
                budget_usd, window=budget_window, alert_at=alerts, name="global"
            )
        self._prices = prices
        if prices is None:
            _preload_on_a_loop()
        self.fallback_price = fallback_price
        self.require_usage = require_usage
        self.records: list[CallRecord] = []
        self._trim_above, self._keep = retention(retain_records)
        self.days = Days(self.budgets.tz, retain_days)
        self._lock = threading.Lock()

    @property
    def ledger(self) -> Ledger:
        """Where budgets (and every process's calls) are kept."""
        return self.budgets.ledger

    @property
    def prices(self) -> PriceBook:
        """The price book (the shipped one unless given); loaded on first use.

        Async spans load it in a worker thread, so the first one does not block the loop.
        """
        if self._prices is None:
            self._prices = PriceBook.default()
        return self._prices

    async def aprices(self) -> PriceBook:
        """:attr:`prices`, loading the shipped book off the event loop the first time."""
        if self._prices is None:
            import asyncio

            self._prices = await asyncio.to_thread(PriceBook.default)
        return self._prices

    def hold_fd(self, span: Span) -> int:
        """What a span reserves: its explicit amount, else its call's worst case (see class)."""
        if span.reserve_fd >= 0:
            return span.reserve_fd
        book = self._prices or self.prices
        if span.prompt_estimate is not None or span.max_tokens is not None:
            return self._size(book, span)
        key: object = span.model  # the usual span: no tuple to build (and collect)
        if span.provider is not None or span.batch:
            key = (span.model, span.provider, span.batch)
        cached = self._unsized.get(key)
        if cached is not None and cached[0] == book.version:
            return cached[1]
        fd = self._size(book, span)
        if len(self._unsized) < 4096:  # bounded: model names come from callers
            self._unsized[key] = (book.version, fd)
        return fd

    def _size(self, book: PriceBook, span: Span) -> int:
        policy = self.hold_policy
        if span.model is None:
            fd = policy.no_model_hold_fd(book)
            if self.fallback_price is not None and policy.no_model_fd is None:
                fd = max(fd, policy.hold_fd(self.fallback_price, None, None))
            return max(fd, 1)
        price = self._price(span.model, span.provider)
        return max(
            policy.hold_fd(price, span.prompt_estimate, span.max_tokens, batch=span.batch), 1
        )

    def track_call(
        self,
        task_name: str = "default",
        model: str | None = None,
        *,
        user: str | None = None,
        tags: Iterable[str] = (),
        provider: str | None = None,
        prompt: str | None = None,
        messages: Sequence[Mapping[str, Any]] | None = None,
        prompt_tokens: int | None = None,
        max_tokens: int | None = None,
        reserve_usd: Decimal | float | str | None = None,
        batch: bool = False,
    ) -> Span:
        """A span (``async with`` or ``with``) that attributes the usage recorded inside it.

        On entry it reserves the call's worst case in every budget that applies, or raises
        :class:`BudgetExceededError` before anything is spent: from the model, the prompt
        (``prompt``, ``messages`` or ``prompt_tokens``) and ``max_tokens``, with what is not
        given sized by the tracker's policy (see the class). ``reserve_usd`` reserves an
        explicit amount instead.
        """
        estimate = prompt_tokens
        if estimate is None and (prompt is not None or messages is not None):
            estimate = self._estimate(model, prompt, messages)
        reserve_fd = -1  # sized on entry, from the price book
        if reserve_usd is not None:
            reserve_fd = fd_from_usd(reserve_usd, what="reserve_usd")
            if reserve_fd < 0:
                raise ValueError(f"reserve_usd cannot be negative, got {reserve_usd!r}")
        return Span(
            self,
            task_name,
            model,
            user,
            tuple(tags),
            provider,
            batch,
            reserve_fd,
            estimate,
            max_tokens,
        )

    def _estimate(
        self, model: str | None, prompt: str | None, messages: Sequence[Mapping[str, Any]] | None
    ) -> int | None:
        if model is None:
            return None
        if messages is not None:
            return count_message_tokens(messages, model).tokens
        return count_tokens(prompt, model).tokens if prompt is not None else None

    def price_of(self, model: str, *, provider: str | None = None) -> ModelPrice:
        """The prices this tracker uses for ``model`` (its fallback price included)."""
        return self._price(model, provider)

    def _price(self, model: str, provider: str | None) -> ModelPrice:
        try:
            return (self._prices or self.prices).resolve(model, provider=provider)
        except LookupError:
            if self.fallback_price is None:
                raise
            return self.fallback_price

    def price_record(
        self, span: Span, usage: Usage, model: str, provider: str | None
    ) -> CallRecord:
        """Price one usage inside ``span`` (called by :meth:`Span.record`)."""
        at = self.clock()
        book = self._prices or self.prices
        price = book._resolved.get((model, provider)) or self._price(model, provider)
        periods = price.periods
        if len(periods) == 1 and not periods[0].tiers and not span.batch:  # the usual price
            cost = periods[0].base.cost_fd(usage)
        else:
            cost = _cost_fd(price, usage, at, span.batch)
        error = None
        if span.prompt_estimate is not None and not span.records:
            error = observe_estimate(provider_of(model), span.prompt_estimate, usage.prompt_tokens)
        # the span's first record takes the span's id (one string less to build and keep per
        # call); later ones add their index. Span ids hold no dot, so neither can collide.
        n = len(span.records)
        rid = f"{span.id}.{n}" if n else span.id
        # tuple.__new__ of every field: what CallRecord(...) does, less its Python frame
        return _new_tuple(
            CallRecord,
            (rid, span.id, at, span.task, model, span.user, span.tags, usage, cost, error, False),
        )

    def unpriced_record(
        self, span: Span, usage: Usage, model: str | None, error: Exception
    ) -> CallRecord:
        """A record of usage that could not be priced: its tokens, $0, flagged; warned about."""
        from powertools.cost._budget import log
        from powertools.cost.errors import CaptureWarning

        message = (
            f"usage of {model or 'an unnamed model'} in task {span.task!r} was recorded "
            f"unpriced ({usage.total_tokens} tokens at $0): {error}"
        )
        log().warning(message)
        import warnings

        warnings.warn(message, CaptureWarning, stacklevel=3)
        n = len(span.records)
        rid = f"{span.id}.{n}" if n else span.id
        return CallRecord(
            rid,
            span.id,
            self.clock(),
            span.task,
            model,
            span.user,
            span.tags,
            usage,
            0,
            unpriced=True,
        )

    def _count(self, records: list[CallRecord]) -> None:
        lock = self._lock
        lock.acquire()  # not ``with``: this runs for every tracked call
        try:
            kept = self.records
            kept.extend(records)
            if len(kept) > self._trim_above:
                del kept[: len(kept) - self._keep]
            self.days.add(records)
        finally:
            lock.release()

    async def keep(self, records: list[CallRecord]) -> None:
        """Store finished records here and in the ledger."""
        self._count(records)
        for record in records:
            await self.ledger.append(record)

    def keep_sync(self, records: list[CallRecord]) -> None:
        """:meth:`keep` for synchronous ledgers."""
        self._count(records)
        append = (self.budgets._sync_ledger or self.budgets._sync()).append_sync
        for record in records:
            append(record)

    def get_total(self) -> Decimal:
        """Everything this tracker has recorded, in dollars (exact)."""
        return usd(self.days.total_fd)

    def _remaining(self) -> Decimal | None:
        if self.budget is None:
            return None
        if isinstance(self.ledger, SyncLedger):  # the ledger knows every process's spending
            return next(s.remaining for s in self.budgets.status() if s.budget is self.budget)
        _, start, end = window_bounds(self.budget.window, self.clock(), self.budgets.tz)
        with self._lock:
            spent = self.days.spent_fd(start, end)
        return usd(max(self.budget.limit_fd - spent, 0))

    def get_daily_report(self, day: date | None = None) -> DailyReport:
        """Today's (or ``day``'s) cost, task count and breakdowns; remaining budget now."""
        remaining = self._remaining()
        with self._lock:  # another thread may be adding to the day's totals
            return self.days.report(day or self._today(), remaining)

    async def aget_daily_report(self, day: date | None = None) -> DailyReport:
        """Like :meth:`get_daily_report`, over every process's calls in the ledger."""
        records = await self.ledger.records()
        remaining = None
        if self.budget is not None:
            status = next(s for s in await self.budgets.astatus() if s.budget is self.budget)
            remaining = status.remaining
        return daily_report(records, day or self._today(), self.budgets.tz, remaining)

    def _today(self) -> date:
        return datetime.fromtimestamp(self.clock(), self.budgets.tz).date()

    def analytics(self) -> Analytics:
        """Cost per task and user, cost per 1k tokens, cache savings, daily trend (over the
        retained ``records``)."""
        return Analytics(self.records, self.prices, self.budgets.tz)

    def forecast_monthly(self) -> Forecast:
        """This month's projected cost, an 80% interval, and when the budget runs out."""
        limit = None if self.budget is None else self.budget.limit
        with self._lock:
            daily = self.days.daily_fd()
        return forecast_daily(daily, self.clock(), self.budgets.tz, limit)


_new_tuple = tuple.__new__


def _cost_fd(price: ModelPrice, usage: Usage, at: float, batch: bool) -> int:
    """The cost of one recorded call with tiers, a batch rate or a price history (the usual
    price, one period and none of those, is priced inline by ``price_record``)."""
    periods = price.periods
    if len(periods) == 1:
        return periods[0].cost_fd(usage, batch=batch)
    day = datetime.fromtimestamp(at, UTC).date()
    return price.period(day).cost_fd(usage, batch=batch)


def _preload_on_a_loop() -> None:
    """Inside a running event loop, start loading the shipped prices in a thread now, so
    that not even a sync span used on the loop waits for them later."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    threading.Thread(target=PriceBook.default, name="powertools-cost-prices", daemon=True).start()

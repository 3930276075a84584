"""The router's only adapter onto ``powertools.cost``'s budgets: hold, commit, release, headroom.

Every attempt holds its worst case (``BudgetManager.reserve``) before the request is sent,
commits the provider's reported cost after, and releases the hold when the call fails. The
engine reads the headroom (:meth:`BudgetGate.headroom_fd`) to drop what cannot fit, so a
request that fits nowhere raises ``BudgetExceededError`` before anything is spent.

>>> import asyncio
>>> gate = BudgetGate.monthly("1.00")
>>> async def spend():
...     hold = await gate.hold(600_000_000_000_000)  # $0.60 of worst case
...     await gate.commit(hold, 250_000_000_000_000)  # it cost $0.25
...     return await gate.headroom_fd()
>>> asyncio.run(spend()) == 750_000_000_000_000
True
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the budget machinery loads with the first budget, not with the router
    from powertools.cost import BudgetManager, CostTracker, Reservation

__all__ = ["BudgetGate"]


class BudgetGate:
    """Budget holds for the router's attempts, over a ``BudgetManager`` (or none: unlimited)."""

    def __init__(self, manager: BudgetManager | None) -> None:
        self.manager = manager
        self.tightest = ""  # the name of the budget with the least left, at the last look

    @classmethod
    def monthly(cls, limit_usd: Decimal | float | str) -> BudgetGate:
        """A gate over a new in-memory monthly budget of ``limit_usd``."""
        from powertools.cost import BudgetManager

        manager = BudgetManager()
        manager.add(limit_usd, window="monthly", name="router-monthly")
        return cls(manager)

    @classmethod
    def of(
        cls,
        budget: BudgetManager | CostTracker | None,
        limit_usd: Decimal | float | str | None,
    ) -> BudgetGate:
        """The user's manager or tracker (with ``limit_usd`` added to it), or a new one."""
        if budget is not None:
            from powertools.cost import CostTracker

            if isinstance(budget, CostTracker):
                budget = budget.budgets
        if budget is None:
            return cls.monthly(limit_usd) if limit_usd is not None else cls(None)
        if limit_usd is not None:
            budget.add(limit_usd, window="monthly", name="router-monthly")
        return cls(budget)

    @property
    def limited(self) -> bool:
        """Whether any budget applies."""
        return self.manager is not None and bool(self.manager.budgets)

    async def headroom_fd(self) -> int | None:
        """The smallest amount left in any budget now (``None``: no budget)."""
        if not self.limited:
            return None
        assert self.manager is not None
        statuses = await self.manager.astatus()
        tightest = min(statuses, key=lambda s: s.remaining)
        self.tightest = tightest.budget.name
        return _fd(tightest.remaining)

    async def hold(
        self, amount_fd: int, *, user: str | None = None, tags: Iterable[str] = ()
    ) -> Reservation | None:
        """Hold ``amount_fd`` or raise ``BudgetExceededError`` (nothing held then)."""
        if not self.limited:
            return None
        assert self.manager is not None
        return await self.manager.reserve(amount_fd=amount_fd, user=user, tags=tags)

    async def commit(self, hold: Reservation | None, actual_fd: int) -> None:
        """Spend what the call cost and drop the rest of the hold."""
        if hold is not None and self.manager is not None:
            await self.manager.commit(hold, actual_fd=actual_fd)

    async def settle(
        self, hold: Reservation | None, actual_fd: int, *, reported_to_span: bool
    ) -> None:
        """Commit an answered attempt, unless the caller's open span will commit it here.

        ``reported_to_span``: the usage went into the caller's ``track_call()`` span. When
        that span's tracker spends from this gate's own budgets, its exit commits the call;
        committing here too would spend it twice, so the router's hold is released instead.
        """
        if reported_to_span and self._span_commits_here():
            await self.release(hold)
        else:
            await self.commit(hold, actual_fd)

    def _span_commits_here(self) -> bool:
        from powertools.cost import current_span  # the span machinery loads with the first use

        span = current_span()
        return (
            span is not None and self.manager is not None and span.tracker.budgets is self.manager
        )

    async def release(self, hold: Reservation | None) -> None:
        """Drop the hold without spending (the call failed, or was cancelled)."""
        if hold is not None and self.manager is not None:
            await self.manager.release(hold)

    def describe(self) -> str:
        """One line for ``describe()``."""
        if not self.limited:
            return "budget: none (unlimited)"
        assert self.manager is not None
        names = ", ".join(f"{b.name} ${b.limit}" for b in self.manager.budgets)
        return f"budget: {names} (ledger {type(self.manager.ledger).__name__})"


def _fd(amount: Decimal) -> int:
    from powertools.cost._money import fd_from_usd

    return fd_from_usd(amount)

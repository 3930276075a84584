"""``QuotaManager``: wait for capacity by priority and tenant, watch usage, forecast run-out."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from powertools.ratelimit._gcra import CellStats
from powertools.ratelimit._limiter import RateLimiter
from powertools.ratelimit._limits import DIMENSIONS, PERIODS, Cost, limits_from_kwargs
from powertools.ratelimit._reservation import Followed, Reservation

__all__ = ["QuotaManager", "QuotaStats", "UsageRate"]

#: How far back "the current rate" looks (an exponential moving average's time constant).
RATE_WINDOW_SECONDS = 300.0


@dataclass(slots=True)
class UsageRate:
    """A time-decayed rate of consumption: units per second over the last few minutes.

    >>> rate = UsageRate()
    >>> rate.add(600.0, now=0.0); round(rate.per_second(0.0), 3)
    2.0
    """

    window: float = RATE_WINDOW_SECONDS
    _value: float = 0.0
    _at: float = 0.0

    def per_second(self, now: float) -> float:
        """The rate at ``now``."""
        return self._value * math.exp(-max(now - self._at, 0.0) / self.window)

    def add(self, amount: float, now: float) -> None:
        """Record ``amount`` units consumed at ``now`` (negative: a settled estimate's refund)."""
        self._value = max(self.per_second(now) + amount / self.window, 0.0)
        self._at = now


@dataclass(slots=True, frozen=True)
class QuotaStats:
    """A snapshot: who is waiting, how long a new call would wait, and each limit's state.

    ``dimensions`` maps each limit's name (``tokens_per_minute``…) to its utilisation,
    remaining capacity and reset time; ``runs_out_in_seconds`` maps each daily or monthly
    quota to when it runs out at the current rate (``None``: not at this rate).
    """

    queued_tasks: int
    estimated_wait_seconds: float
    dimensions: dict[str, CellStats] = field(default_factory=dict)
    runs_out_in_seconds: dict[str, float | None] = field(default_factory=dict)
    rate_per_second: dict[str, float] = field(default_factory=dict)


class QuotaManager:
    """Queue-based limits: ``await check_and_wait(tokens=...)`` before each call.

    Takes the same limit keywords as ``RateLimiter`` (or a ``limiter`` to share). With none, it
    limits nothing until configured (``POWERTOOLS_RATELIMIT_*``) or taught by ``observe``,
    and still counts usage for its stats. ``per_tenant`` gives every tenant its own limits as
    well, e.g. ``per_tenant={"tokens_per_day": 100_000}``: one GCRA cell per tenant and limit.
    The forecast counts what calls actually used: each reservation's estimate until it is
    settled, its settled usage after.

    >>> import asyncio
    >>> quota = QuotaManager(tokens_per_day=1_000_000)
    >>> async def main():
    ...     await quota.check_and_wait(tokens=5000, priority="high", tenant="team-a")
    ...     return round(quota.get_stats().dimensions["tokens_per_day"].remaining)
    >>> asyncio.run(main())
    995000
    """

    def __init__(
        self,
        limiter: RateLimiter | None = None,
        *,
        per_tenant: Mapping[str, float] | None = None,
        **options: Any,
    ) -> None:
        self.limiter = limiter if limiter is not None else RateLimiter(**options)
        self._clock: Callable[[], float] = self.limiter.clock
        self._rates = {dimension: UsageRate() for dimension in DIMENSIONS}
        self._lock = threading.Lock()
        self._per_tenant = limits_from_kwargs(dict(per_tenant)) if per_tenant else ()
        self._tenants: dict[str, RateLimiter] = {}

    def _limiter_of(self, tenant: str) -> RateLimiter:
        with self._lock:
            own = self._tenants.get(tenant)
            if own is None:
                base = self.limiter
                own = self._tenants[tenant] = base._with_limits(
                    f"{base.name}:{tenant}", self._per_tenant
                )
            return own

    def tenant_stats(self, tenant: str) -> list[CellStats]:
        """The state of ``tenant``'s own limits (``per_tenant``); empty if it has none."""
        return self._limiter_of(tenant).stats() if self._per_tenant else []

    def __repr__(self) -> str:
        return f"<QuotaManager {self.limiter!r}>"

    async def check_and_wait(
        self,
        tokens: float | None = None,
        *,
        priority: str = "normal",
        tenant: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - timed on the limiter's clock
        input_tokens: float | None = None,
        output_tokens: float | None = None,
    ) -> Reservation:
        """Wait (in priority order, fairly across tenants) until the call fits; take its cost.

        Returns the reservation: ``settle()`` it to the actual usage to refund the difference.
        Raises ``RateLimitTimeout`` (at once when the wait is known to be longer than
        ``timeout``), having taken nothing.
        """

        def reserve(limiter: RateLimiter) -> Followed:
            # a bare wait holds no concurrency slot
            return limiter._reserve(tokens, input_tokens, output_tokens, priority, tenant, timeout)

        own = None
        if tenant is not None and self._per_tenant:
            own = reserve(self._limiter_of(tenant))
            await own
        shared = reserve(self.limiter)
        try:
            await shared
        except BaseException:
            if own is not None:  # the shared limits said no: give the tenant's capacity back
                own.give_back()
            raise
        shared.follow(own, self._record)
        self._record(shared.cost)
        return shared

    def record_usage(self, cost: Cost) -> None:
        """Count usage that did not go through ``check_and_wait`` (for the rate forecast)."""
        self._record(cost)

    def _record(self, cost: Cost) -> None:
        now = self._clock()
        with self._lock:
            for dimension, amount in zip(DIMENSIONS, cost.as_tuple(), strict=True):
                if amount:
                    self._rates[dimension].add(amount, now)

    def would_wait_longer_than(
        self,
        seconds: float,
        tokens: float | None = None,
        *,
        priority: str = "normal",
        tenant: str | None = None,
    ) -> bool:
        """Whether a call would wait more than ``seconds`` now, the tenant's own quota too."""
        return self._wait_of(self.limiter.estimate_wait, tokens, priority, tenant) > seconds

    async def awould_wait_longer_than(
        self,
        seconds: float,
        tokens: float | None = None,
        *,
        priority: str = "normal",
        tenant: str | None = None,
    ) -> bool:
        """``would_wait_longer_than`` that asks a shared store without blocking."""
        wait = await self.limiter.aestimate_wait(tokens, priority=priority, tenant=tenant)
        own = self._own_wait(tokens, priority, tenant)
        return max(wait, own) > seconds

    def _wait_of(
        self,
        estimate: Callable[..., float],
        tokens: float | None,
        priority: str,
        tenant: str | None,
    ) -> float:
        shared = estimate(tokens, priority=priority, tenant=tenant)
        return max(shared, self._own_wait(tokens, priority, tenant))

    def _own_wait(self, tokens: float | None, priority: str, tenant: str | None) -> float:
        if tenant is None or not self._per_tenant:
            return 0.0
        return self._limiter_of(tenant).estimate_wait(tokens, priority=priority, tenant=tenant)

    def get_stats(self) -> QuotaStats:
        """Queue length, estimated wait, per-limit state and run-out forecasts (no I/O)."""
        now = self._clock()
        cells = {cell.name: cell for cell in self.limiter.stats()}
        with self._lock:
            rates = {d: r.per_second(now) for d, r in self._rates.items()}
        forecasts = {
            lim.name: self._runs_out_in(cells[lim.name], rates[lim.dimension])
            for lim in self.limiter.limits
            if lim.period >= PERIODS["day"]
        }
        return QuotaStats(
            queued_tasks=self.limiter.queued,
            estimated_wait_seconds=self.limiter._local_wait(),
            dimensions=cells,
            runs_out_in_seconds=forecasts,
            rate_per_second=rates,
        )

    @staticmethod
    def _runs_out_in(cell: CellStats, rate: float) -> float | None:
        draining = rate - cell.limit / cell.period
        return cell.remaining / draining if draining > 0 else None

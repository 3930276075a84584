"""``RateLimiter``: every limit of one API checked at once, waiters served fairly by priority."""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from powertools.ratelimit._adaptive import CEILING_FACTOR, Aimd, Learnt, merge_learnt, reading_of
from powertools.ratelimit._admission import Admission
from powertools.ratelimit._gcra import CellStats, GcraCells
from powertools.ratelimit._limits import DIMENSIONS, Cost, Limit, limits_from_kwargs
from powertools.ratelimit._providers import ProviderLimits, load_provider_limits
from powertools.ratelimit._reservation import Followed, Reservation
from powertools.ratelimit._scheduler import PRIORITY_WEIGHTS, check_priority
from powertools.ratelimit._store import MemoryStore, Store, open_store
from powertools.ratelimit._wrapping import LimitDecorator, TokenSource
from powertools.ratelimit.errors import BlockingCallError, ConfigurationError

#: What a decorated call is charged when it gives no estimate (capped at the token limits).
DEFAULT_TOKENS_PER_CALL = 1_000.0
#: While the rate recovers after a 429, a queued head looks at the clock at least this often.
RECOVERY_RECHECK_SECONDS = 1.0

__all__ = ["RateLimiter"]

ENV_PREFIX = "POWERTOOLS_RATELIMIT_"


def _limits_from_env() -> dict[str, float | None]:
    found: dict[str, float | None] = {}
    for name, value in os.environ.items():
        if name.startswith(ENV_PREFIX) and "_PER_" in name:
            try:
                found[name.removeprefix(ENV_PREFIX).lower()] = float(value)
            except ValueError:
                raise ConfigurationError(f"{name}={value!r} is not a number") from None
    return found


class RateLimiter(Admission):
    """Request, token and concurrency limits of one API, taken together, waited for fairly.

    Limits are keywords ``<dimension>_per_<period>`` (dimensions: requests, tokens,
    input_tokens, output_tokens; periods: second, minute, hour, day, month) and
    ``max_concurrent``. With none given, limits come from ``POWERTOOLS_RATELIMIT_*``
    environment variables (``POWERTOOLS_RATELIMIT_REQUESTS_PER_MINUTE=60``); with none there
    either, the limiter admits everything at once in priority order until it learns the real
    limits from provider headers (``observe``).

    ``default_tokens`` is what a decorated call without an estimate is charged (at most the
    smallest token limit); ``learn_ceiling`` bounds the limits ``observe`` may learn: a factor
    of the configured limit, or a mapping of limit names (``tokens_per_minute``) to ceilings.

    >>> import asyncio
    >>> limiter = RateLimiter(requests_per_minute=60, tokens_per_minute=90_000)
    >>> async def call():
    ...     async with limiter.acquire(tokens=1_200, priority="high") as r:
    ...         r.settle(tokens=800)  # the call used less than reserved: 400 refunded
    ...         return r.cost.tokens
    >>> asyncio.run(call())
    800.0
    """

    def __init__(
        self,
        *,
        limits: Sequence[Limit] = (),
        burst: Mapping[str, float] | None = None,
        max_concurrent: int | None = None,
        name: str = "default",
        store: Store | str | None = None,
        default_tokens: float = DEFAULT_TOKENS_PER_CALL,
        learn_ceiling: Mapping[str, float] | float = CEILING_FACTOR,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        blocking_sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
        **per_period: float | None,
    ) -> None:
        if not limits and all(value is None for value in per_period.values()):
            per_period = _limits_from_env()
        configured = (*limits, *limits_from_kwargs(per_period, burst))
        if max_concurrent is not None and max_concurrent < 1:
            raise ConfigurationError(f"max_concurrent={max_concurrent!r} must be at least 1")
        if not (isinstance(default_tokens, int | float) and 0 <= default_tokens < math.inf):
            raise ConfigurationError(
                f"default_tokens={default_tokens!r} must be a finite number of tokens >= 0"
            )
        self.name = name
        self.max_concurrent = max_concurrent
        self._slots = max_concurrent is not None  # each reservation holds a slot
        self._configured: tuple[Limit, ...] = configured
        self._default_tokens = float(default_tokens)
        super().__init__(
            GcraCells(configured),
            open_store(store) if isinstance(store, str) else store,
            clock,
            sleep,
            blocking_sleep,
        )
        self._wall_clock = wall_clock
        self._aimd = Aimd(clock=clock)
        self._learnt = Learnt(configured, learn_ceiling)

    @classmethod
    def for_provider(
        cls,
        provider: str,
        model: str | None = None,
        *,
        config: str | Path | Mapping[str, Mapping[str, Any]] | None = None,
        **options: Any,
    ) -> RateLimiter:
        """A limiter with the named limit set of ``provider`` (and ``model``).

        ``config`` is a TOML/JSON file or mapping of limit sets over the built-in ones. The
        limiter is named ``provider:model`` (a shared store keys on it).

        >>> RateLimiter.for_provider("openai", "gpt-4o").limits[1].name
        'tokens_per_minute'
        """
        sets = load_provider_limits(config) if config is not None else ProviderLimits()
        values: dict[str, float | None] = dict(sets.limits_for(provider, model))
        concurrent = values.pop("max_concurrent", None)
        options.setdefault("name", f"{provider}:{model}" if model else provider)
        options.setdefault("max_concurrent", int(concurrent) if concurrent else None)
        return cls(limits=limits_from_kwargs(values, options.pop("burst", None)), **options)

    def __repr__(self) -> str:
        shown = ", ".join(f"{lim.name}={lim.limit:g}" for lim in self.limits)
        return f"<RateLimiter {self.name!r} {shown or 'unlimited'} queued={len(self._queue)}>"

    @property
    def queued(self) -> int:
        """How many callers are waiting."""
        return len(self._queue)

    @property
    def clock(self) -> Callable[[], float]:
        """The clock the limiter reads (``time.monotonic`` unless injected)."""
        return self._clock

    @property
    def default_tokens(self) -> float:
        """What a decorated call without an estimate is charged: at most the token limits."""
        return min(self._default_tokens, max(self._cells.max_simple_tokens, 0.0))

    def acquire(
        self,
        tokens: float | None = None,
        *,
        input_tokens: float | None = None,
        output_tokens: float | None = None,
        requests: float = 1,
        priority: str = "normal",
        tenant: str | None = None,
        timeout: float | None = None,
    ) -> Reservation:
        """A reservation of one call's cost: ``async with`` (or ``with``, or ``await``) it.

        ``tokens`` is the estimate (prompt + ``max_tokens``, as providers count); settle the
        reservation to the actual usage afterwards. ``tenant`` names who the call is for:
        tenants share the capacity fairly. ``timeout`` raises ``RateLimitTimeout`` (nothing
        taken) — at once when the capacity is known to come later than that.
        """
        if priority not in PRIORITY_WEIGHTS:
            check_priority(priority)
        if timeout is not None and not (timeout >= 0):
            raise ConfigurationError(f"timeout={timeout!r} must be a number of seconds >= 0")
        if input_tokens is None and output_tokens is None and requests == 1:
            # the common case, as in _costs_of, inline; the reservation is filled in here, in
            # Reservation.__init__'s order, without the class call (which costs a fifth of an
            # uncontended acquire: measured with callgrind, see the package CHANGELOG)
            amount = 0.0 if tokens is None else float(tokens)
            if 0.0 <= amount <= self._cells.max_simple_tokens:
                r: Reservation = _blank(Reservation)
                r._gate = self
                r._costs = (1.0, amount, amount, 0.0)
                r.priority = priority
                r.tenant = tenant
                r.timeout = timeout
                r._slot = self._slots
                r._state = 0
                return r
        costs = self._costs_of(tokens, input_tokens, output_tokens, requests)
        return Reservation(self, costs, priority, tenant, timeout, self._slots)

    def _reserve(  # noqa: PLR0917 - check_and_wait's arguments, passed on positionally
        self,
        tokens: float | None,
        input_tokens: float | None,
        output_tokens: float | None,
        priority: str,
        tenant: str | None,
        timeout: float | None,
    ) -> Followed:
        """A reservation that holds no concurrency slot and can be followed (QuotaManager)."""
        check_priority(priority)
        if timeout is not None and not (timeout >= 0):
            raise ConfigurationError(f"timeout={timeout!r} must be a number of seconds >= 0")
        costs = self._costs_of(tokens, input_tokens, output_tokens)
        return Followed(self, costs, priority, tenant, timeout, False)

    def _costs_of(
        self,
        tokens: float | None,
        input_tokens: float | None,
        output_tokens: float | None,
        requests: float = 1,
    ) -> tuple[float, float, float, float]:
        costs: tuple[float, float, float, float]
        if input_tokens is None and output_tokens is None and requests == 1:
            # the common case, without Cost.of's general derivation: one request, its tokens
            amount = 0.0 if tokens is None else float(tokens)
            costs = (1.0, amount, amount, 0.0)
            if not 0.0 <= amount <= self._cells.max_simple_tokens:
                if not 0.0 <= amount < math.inf:
                    raise ConfigurationError(f"tokens={tokens!r} must be a finite number >= 0")
                self._check_fits(costs)
            return costs
        costs = Cost.of(
            tokens=tokens, input_tokens=input_tokens, output_tokens=output_tokens, requests=requests
        ).as_tuple()
        self._check_fits(costs)
        return costs

    def _check_fits(self, costs: tuple[float, ...]) -> None:
        for lim in self.limits:
            lim.check_fits(costs[_DIM_INDEX[lim.dimension]])

    def limit(
        self,
        priority: str = "normal",
        *,
        tokens: TokenSource = None,
        tenant: str | Callable[..., str] | None = None,
        timeout: float | None = None,
    ) -> LimitDecorator:
        """Decorate a sync or async function so each call first acquires from this limiter.

        ``tokens`` is the call's estimated token cost: a number, the name of one of the
        function's arguments, or a callable given the call's arguments; without it a call
        is charged ``default_tokens``. The call is settled to the usage the function reports
        (``report_usage()``) or its result carries (a provider response's ``usage``).
        """
        check_priority(priority)
        return LimitDecorator(self, priority, tokens, tenant, timeout)

    # -- how long would a call wait? -------------------------------------------------------

    def estimate_wait(
        self,
        tokens: float | None = None,
        *,
        input_tokens: float | None = None,
        output_tokens: float | None = None,
        priority: str = "normal",
        tenant: str | None = None,
    ) -> float:
        """Seconds a call of this cost and priority would wait now (taking nothing).

        Counts the queued callers it would be served after (not those its priority passes)
        and, with a shared store, the whole fleet's usage: one blocking round trip, so in
        async code use ``await aestimate_wait(...)``. While every concurrency slot is taken
        the wait is unknown: ``math.inf``.
        """
        costs = self._costs_of(tokens, input_tokens, output_tokens)
        self._refresh_rate()
        store = self._store
        if store is None:
            base = self._cells.wait_for(self._clock(), costs)
        else:
            base = max(self._peek_blocking(store, costs), self._paused(costs))
        return self._behind_queue(base, costs, priority, tenant)

    def _peek_blocking(self, store: Store, costs: Sequence[float]) -> float:
        if not isinstance(store, MemoryStore) and asyncio._get_running_loop() is not None:
            raise BlockingCallError(
                f"limiter {self.name!r} has a shared store: asking it from a blocking call "
                "would block the event loop; in async code use `await "
                "limiter.aestimate_wait(...)` or `await limiter.awould_wait_longer_than(...)`"
            )
        return store.peek(self.name, self.limits, costs, self._cells.scale)

    async def aestimate_wait(
        self,
        tokens: float | None = None,
        *,
        input_tokens: float | None = None,
        output_tokens: float | None = None,
        priority: str = "normal",
        tenant: str | None = None,
    ) -> float:
        """``estimate_wait`` that asks a shared store without blocking (one round trip)."""
        costs = self._costs_of(tokens, input_tokens, output_tokens)
        self._refresh_rate()
        store = self._store
        if store is None:
            base = self._cells.wait_for(self._clock(), costs)
        else:
            peeked = await store.apeek(self.name, self.limits, costs, self._cells.scale)
            base = max(peeked, self._paused(costs))
        return self._behind_queue(base, costs, priority, tenant)

    def would_wait_longer_than(
        self,
        seconds: float,
        tokens: float | None = None,
        *,
        input_tokens: float | None = None,
        output_tokens: float | None = None,
        priority: str = "normal",
        tenant: str | None = None,
    ) -> bool:
        """Whether a call would wait more than ``seconds``: pick another provider if so.

        >>> RateLimiter(requests_per_minute=60).would_wait_longer_than(5.0, priority="high")
        False
        """
        wait = self.estimate_wait(
            tokens,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            priority=priority,
            tenant=tenant,
        )
        return wait > seconds

    async def awould_wait_longer_than(
        self,
        seconds: float,
        tokens: float | None = None,
        *,
        input_tokens: float | None = None,
        output_tokens: float | None = None,
        priority: str = "normal",
        tenant: str | None = None,
    ) -> bool:
        """``would_wait_longer_than`` that asks a shared store without blocking."""
        wait = await self.aestimate_wait(
            tokens,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            priority=priority,
            tenant=tenant,
        )
        return wait > seconds

    def _behind_queue(
        self, base: float, costs: Sequence[float], priority: str, tenant: str | None
    ) -> float:
        weight = check_priority(priority)
        if self._slots and self._in_flight >= (self.max_concurrent or 0):
            return math.inf  # every slot is busy for as long as its call runs: unknown
        if not self._queue._live:
            return base if base > 0.0 else 0.0
        with self._lock:
            ahead = self._queue.seconds_ahead((tenant, priority), self._size(costs), weight)
        return max(base, 0.0) + ahead

    def _local_wait(self) -> float:
        """This process's view of a bare request's wait behind the whole queue (no I/O)."""
        now = self._clock()
        costs = (1.0, 0.0, 0.0, 0.0)
        base = max(self._cells.wait_for(now, costs), self._remote_wait_until - now, 0.0)
        return base + self._queue.queued_seconds

    # -- state and learning ----------------------------------------------------------------

    def stats(self) -> list[CellStats]:
        """Per limit: units in use, remaining, utilisation and seconds until fully reset."""
        self._refresh_rate()
        return self._cells.stats(self._clock())

    def observe(
        self, headers: Mapping[str, str] | None = None, status_code: int | None = None
    ) -> None:
        """Learn from a provider's response: its rate-limit headers and its status code.

        Limits in the headers replace (or add) the per-minute limits, within a plausible
        range of the configured ones (others are ignored and logged); an exhausted dimension
        admits nothing until its reset; a 429 halves the rate and waits for ``retry-after``,
        after which the rate recovers linearly with time, with or without more responses.
        """
        now = self._clock()
        reading = reading_of(headers or {}, self._wall_clock)
        for dimension, seen in reading.dimensions.items():
            if seen.limit is not None:
                self._learnt.offer(dimension, seen.limit)
        if status_code == 429:
            self._aimd.decrease()
        self._apply_rates()
        for dimension, seen in reading.dimensions.items():
            if seen.remaining is not None and seen.remaining < 1 and seen.reset_seconds:
                self._block_until(dimension, now + seen.reset_seconds)
        if status_code == 429:
            self._block_until(None, now + (reading.retry_after or 1.0))
        elif reading.retry_after:
            self._block_until(None, now + reading.retry_after)
        self._kick()

    def _block_until(self, dimension: str | None, until: float) -> None:
        self._cells.block_until(dimension, until)
        if self._store is not None:  # the store's cells know nothing of the provider's pause
            self._pause(dimension, until)

    def _apply_rates(self) -> None:
        scale = self._aimd.scale()
        self._cells.set_limits(merge_learnt(self._configured, self._learnt.values), scale)
        recovering = scale < 1.0
        self._fast = self._store is None and not recovering
        self._reopen()
        self._recheck = RECOVERY_RECHECK_SECONDS if recovering else math.inf

    def _refresh_rate(self) -> None:
        # the rate climbs back with time after a 429: catch the cells up before any wait
        if self._recheck != math.inf:
            scale = self._aimd.scale()
            if scale >= 1.0 or abs(scale - self._cells.scale) > 1e-3:
                self._apply_rates()

    def _with_limits(self, name: str, limits: Sequence[Limit]) -> RateLimiter:
        """A limiter of other limits on this one's clocks (a tenant's own quota)."""
        return RateLimiter(
            name=name,
            limits=limits,
            clock=self._clock,
            sleep=self._sleep,
            blocking_sleep=self._blocking_sleep,
            wall_clock=self._wall_clock,
        )


_blank = object.__new__
_DIM_INDEX = {name: i for i, name in enumerate(DIMENSIONS)}

"""``RateLimiter``: every limit of one API checked at once, waiters served fairly by priority."""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from powertools.ratelimit._adaptive import Aimd, merge_learnt, reading_of
from powertools.ratelimit._admission import Admission
from powertools.ratelimit._gcra import CellStats, GcraCells
from powertools.ratelimit._limits import DIMENSIONS, Cost, Limit, limits_from_kwargs
from powertools.ratelimit._providers import ProviderLimits, load_provider_limits
from powertools.ratelimit._reservation import Reservation
from powertools.ratelimit._scheduler import PRIORITY_WEIGHTS, check_priority
from powertools.ratelimit._store import Store, open_store
from powertools.ratelimit._wrapping import LimitDecorator, TokenSource
from powertools.ratelimit.errors import ConfigurationError

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
        self.name = name
        self.max_concurrent = max_concurrent
        self._configured: tuple[Limit, ...] = configured
        super().__init__(
            GcraCells(configured),
            open_store(store) if isinstance(store, str) else store,
            clock,
            sleep,
            blocking_sleep,
        )
        self._wall_clock = wall_clock
        self._aimd = Aimd(clock=clock)
        self._learnt: dict[str, float] = {}

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

        ``config`` is a TOML/JSON file or mapping of limit sets over the built-in ones.

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

    def acquire(
        self,
        tokens: float | None = None,
        *,
        input_tokens: float | None = None,
        output_tokens: float | None = None,
        requests: float = 1,
        priority: str = "normal",
        key: str | None = None,
        timeout: float | None = None,
    ) -> Reservation:
        """A reservation of one call's cost: ``async with`` (or ``with``, or ``await``) it.

        ``tokens`` is the estimate (prompt + ``max_tokens``, as providers count); settle the
        reservation to the actual usage afterwards. ``key`` names the tenant: tenants share the
        capacity fairly. ``timeout`` raises ``RateLimitTimeout`` (nothing taken) when exceeded.
        """
        if priority not in PRIORITY_WEIGHTS:
            check_priority(priority)
        if timeout is not None and not (timeout >= 0):
            raise ConfigurationError(f"timeout={timeout!r} must be a number of seconds >= 0")
        costs: tuple[float, float, float, float]
        if input_tokens is None and output_tokens is None and requests == 1:
            # the common case, without Cost.of's general derivation: one request, its tokens
            amount = 0.0 if tokens is None else float(tokens)
            costs = (1.0, amount, amount, 0.0)
            if not 0.0 <= amount <= self._cells.max_simple_tokens:
                if not 0.0 <= amount < math.inf:
                    raise ConfigurationError(f"tokens={tokens!r} must be a finite number >= 0")
                self._check_fits(costs)
        else:
            costs = Cost.of(
                tokens=tokens,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                requests=requests,
            ).as_tuple()
            self._check_fits(costs)
        reservation = _new_reservation(Reservation)
        reservation._limiter = self
        reservation._costs = costs
        reservation.priority = priority
        reservation.key = key
        reservation.timeout = timeout
        reservation._slot = self.max_concurrent is not None
        reservation._held = False
        reservation._linked = None
        return reservation

    def _check_fits(self, costs: tuple[float, ...]) -> None:
        for lim in self.limits:
            lim.check_fits(costs[_DIM_INDEX[lim.dimension]])

    def limit(
        self,
        priority: str = "normal",
        *,
        tokens: TokenSource = None,
        key: str | Callable[..., str] | None = None,
        timeout: float | None = None,
    ) -> LimitDecorator:
        """Decorate a sync or async function so each call first acquires from this limiter.

        ``tokens`` is the call's estimated token cost: a number, the name of one of the
        function's arguments, or a callable given the call's arguments.
        """
        check_priority(priority)
        return LimitDecorator(self, priority, tokens, key, timeout)

    def estimate_wait(
        self,
        tokens: float | None = None,
        *,
        input_tokens: float | None = None,
        output_tokens: float | None = None,
    ) -> float:
        """Seconds a call of this cost would wait now, behind the queue (an estimate)."""
        values = Cost.of(
            tokens=tokens, input_tokens=input_tokens, output_tokens=output_tokens
        ).as_tuple()
        now = self._clock()
        base = max(self._cells.wait_for(now, values), self._remote_wait_until - now)
        return max(base, 0.0) + self._queue.queued_seconds

    def would_wait_longer_than(
        self,
        seconds: float,
        tokens: float | None = None,
        *,
        input_tokens: float | None = None,
        output_tokens: float | None = None,
    ) -> bool:
        """Whether a call would wait more than ``seconds``: pick another provider if so.

        >>> RateLimiter(requests_per_minute=60).would_wait_longer_than(5.0)
        False
        """
        wait = self.estimate_wait(tokens, input_tokens=input_tokens, output_tokens=output_tokens)
        return wait > seconds

    def stats(self) -> list[CellStats]:
        """Per limit: units in use, remaining, utilisation and seconds until fully reset."""
        return self._cells.stats(self._clock())

    def observe(
        self, headers: Mapping[str, str] | None = None, status_code: int | None = None
    ) -> None:
        """Learn from a provider's response: its rate-limit headers and its status code.

        Limits in the headers lower (or add) the per-minute limits; an exhausted dimension
        admits nothing until its reset; a 429 halves the rate and waits for ``retry-after``,
        after which the rate recovers linearly. Implausible values are ignored.
        """
        now = self._clock()
        reading = reading_of(headers or {}, self._wall_clock)
        for dimension, seen in reading.dimensions.items():
            if seen.limit is not None:
                self._learnt[dimension] = seen.limit
        if status_code == 429:
            self._aimd.decrease()
        self._cells.set_limits(merge_learnt(self._configured, self._learnt), self._aimd.scale())
        for dimension, seen in reading.dimensions.items():
            if seen.remaining is not None and seen.remaining < 1 and seen.reset_seconds:
                self._cells.block_until(dimension, now + seen.reset_seconds)
        if status_code == 429:
            self._cells.block_until(None, now + (reading.retry_after or 1.0))
        elif reading.retry_after:
            self._cells.block_until(None, now + reading.retry_after)
        self._kick()


_DIM_INDEX = {name: i for i, name in enumerate(DIMENSIONS)}
_new_reservation = object.__new__

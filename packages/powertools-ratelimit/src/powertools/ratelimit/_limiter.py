"""``RateLimiter``: every limit of one API checked at once, waiters served fairly by priority."""

from __future__ import annotations

import asyncio
import math
import os
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from powertools.ratelimit._adaptive import Aimd, merge_learnt, reading_of
from powertools.ratelimit._gcra import EPSILON, CellStats, GcraCells
from powertools.ratelimit._limits import Cost, Limit, limits_from_kwargs
from powertools.ratelimit._providers import ProviderLimits, load_provider_limits
from powertools.ratelimit._reservation import Reservation
from powertools.ratelimit._scheduler import PRIORITY_WEIGHTS, FairQueue, Waiter, check_priority
from powertools.ratelimit._store import Store, open_store
from powertools.ratelimit._wrapping import LimitDecorator, TokenSource
from powertools.ratelimit.errors import ConfigurationError, RateLimitTimeout

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


class RateLimiter:
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
        self._cells = GcraCells(configured)
        self._store: Store | None = open_store(store) if isinstance(store, str) else store
        self._clock = clock
        self._sleep = sleep
        self._blocking_sleep = blocking_sleep
        self._queue = FairQueue()
        self._in_flight = 0
        self._slot_lock = threading.Lock()
        self._timer: asyncio.Task[None] | None = None
        self._timer_at = math.inf
        self._pump: asyncio.Task[None] | None = None
        self._remote_wait_until = -math.inf
        self._loop: asyncio.AbstractEventLoop | None = None
        self._background: set[asyncio.Task[None]] = set()
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
    def limits(self) -> tuple[Limit, ...]:
        """The limits in force (configured, or learnt from the provider)."""
        return self._cells.limits

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
        if input_tokens is None and output_tokens is None and requests == 1 and tokens:
            amount = float(tokens)  # the common case, without Cost.of's general derivation
            cost = (
                Cost(1.0, amount, amount, 0.0)
                if 0.0 < amount < math.inf
                else Cost.of(tokens=amount)
            )
        else:
            cost = Cost.of(
                tokens=tokens,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
                requests=requests,
            )
        maxima = self._cells.max_costs
        if cost[1] > maxima[1] or cost[0] > maxima[0] or cost[2] > maxima[2] or cost[3] > maxima[3]:
            for lim in self.limits:
                lim.check_fits(cost[_DIM_INDEX[lim.dimension]])
        return Reservation(self, cost, priority, key, timeout, self.max_concurrent is not None)

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

    # -- taking capacity -------------------------------------------------------------------

    def _size(self, costs: Sequence[float]) -> float:
        return max(
            (costs[_DIM_INDEX[lim.dimension]] * lim.interval for lim in self.limits),
            default=0.0,
        )

    def _take_local(self, costs: Sequence[float], slot: bool) -> float:
        if slot:
            with self._slot_lock:
                if self._in_flight >= (self.max_concurrent or 0):
                    return math.inf
                wait = self._cells.try_take(self._clock(), costs)
                if wait == 0.0:
                    self._in_flight += 1
                return wait
        return self._cells.try_take(self._clock(), costs)

    async def _take_remote(self, store: Store, costs: Sequence[float], slot: bool) -> float:
        if slot:
            with self._slot_lock:
                if self._in_flight >= (self.max_concurrent or 0):
                    return math.inf
                self._in_flight += 1
        try:
            wait = await store.take(self.name, self.limits, costs, self._cells.scale)
        except BaseException:
            if slot:
                self._release_slot()
            raise
        if wait > 0.0:
            self._remote_wait_until = self._clock() + wait
            if slot:
                self._release_slot()
        else:  # mirror this process's share locally, for estimate_wait() and stats()
            self._cells.adjust(self._clock(), costs)
        return wait

    def _give_back(self, costs: Sequence[float], slot: bool) -> None:
        self._adjust(tuple(-c for c in costs))
        if slot:
            self._release_slot()

    def _adjust(self, deltas: Sequence[float]) -> asyncio.Task[None] | None:
        if self._store is None:
            self._cells.adjust(self._clock(), deltas)
            self._kick()
            return None
        task = asyncio.get_running_loop().create_task(
            self._store.adjust(self.name, self.limits, deltas, self._cells.scale)
        )
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _release_slot(self) -> None:
        with self._slot_lock:
            self._in_flight -= 1
        if len(self._queue):
            self._kick()

    # -- async waiting ---------------------------------------------------------------------

    async def _acquire_async(self, r: Reservation) -> None:
        costs = r.cost
        if not len(self._queue):
            if self._store is None:
                wait = self._take_local(costs, r._slot)
            elif self._pump is None:
                wait = await self._take_remote(self._store, costs, r._slot)
            else:
                wait = math.inf
            if wait == 0.0:
                return
        await self._wait_in_queue(r, costs)

    async def _wait_in_queue(self, r: Reservation, costs: Sequence[float]) -> None:
        self._loop = loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        waiter = self._queue.push(
            Waiter(fut, costs, r._slot, (r.key, r.priority), self._size(costs)),
            check_priority(r.priority),
        )
        self._kick()
        try:
            if r.timeout is None:
                await fut
            else:
                await self._await_with_timeout(fut, r.timeout)
        except BaseException:
            if fut.done() and not fut.cancelled():
                if fut.exception() is None:
                    self._give_back(costs, r._slot)
            else:
                fut.cancel()
                self._queue.discard(waiter)
            self._kick()
            raise

    async def _await_with_timeout(
        self,
        fut: asyncio.Future[None],
        timeout: float,  # noqa: ASYNC109 - timed on the injected clock
    ) -> None:
        if not fut.done() and timeout > 0:
            timer = asyncio.ensure_future(self._sleep(timeout))
            try:
                await asyncio.wait((fut, timer), return_when=asyncio.FIRST_COMPLETED)
            finally:
                timer.cancel()
        if not fut.done():
            raise RateLimitTimeout(
                f"no capacity within timeout={timeout:g}s: raise the timeout, lower the cost, "
                "or check would_wait_longer_than() first"
            )
        fut.result()

    def _kick(self) -> None:
        """Serve the head of the queue now, or arrange to when it can be."""
        if not len(self._queue):
            return
        loop = self._loop
        if loop is not None and not _in_loop(loop):
            loop.call_soon_threadsafe(self._kick)
        elif self._store is None:
            self._dispatch_local()
        elif self._pump is None and loop is not None:
            self._pump = loop.create_task(self._pump_remote(self._store))

    def _dispatch_local(self) -> None:
        queue = self._queue
        while (head := queue.head()) is not None:
            wait = self._take_local(head.costs, head.slot)
            if wait > 0.0:
                if wait != math.inf:
                    self._wake_in(wait)
                return
            queue.pop()
            head.future.set_result(None)

    def _wake_in(self, delay: float) -> None:
        at = self._clock() + delay
        if self._timer is not None and not self._timer.done() and self._timer_at <= at + EPSILON:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = at
        self._timer = asyncio.get_running_loop().create_task(self._wake_after(delay))

    async def _wake_after(self, delay: float) -> None:
        await self._sleep(delay)
        self._timer = None
        self._timer_at = math.inf
        self._dispatch_local()

    async def _pump_remote(self, store: Store) -> None:
        queue = self._queue
        try:
            while (head := queue.head()) is not None:
                try:
                    wait = await self._take_remote(store, head.costs, head.slot)
                except Exception as exc:  # the store's "closed" policy: the head gets it
                    if not head.future.done():
                        queue.pop()
                        head.future.set_exception(exc)
                    continue
                if wait == 0.0:
                    if head.future.done():  # cancelled while the store answered
                        self._give_back(head.costs, head.slot)
                    else:
                        queue.pop()
                        head.future.set_result(None)
                elif wait != math.inf:
                    await self._sleep(wait)
                else:
                    return  # concurrency-bound: a release kicks a new pump
        finally:
            self._pump = None

    # -- blocking waiting ------------------------------------------------------------------

    def _acquire_sync(self, r: Reservation) -> None:
        if self._store is not None:
            raise ConfigurationError(
                f"limiter {self.name!r} uses a shared store, which needs `async with "
                "limiter.acquire(...)`: call it from async code"
            )
        costs = r.cost
        deadline = math.inf if r.timeout is None else self._clock() + r.timeout
        while True:
            wait = self._take_local(costs, r._slot) if not len(self._queue) else 0.001
            if wait == 0.0:
                return
            now = self._clock()
            if now >= deadline:
                raise RateLimitTimeout(
                    f"no capacity within timeout={r.timeout:g}s: raise the timeout, lower the "
                    "cost, or check would_wait_longer_than() first"
                )
            self._blocking_sleep(min(wait, deadline - now, 0.05))


_DIM_INDEX = {"requests": 0, "tokens": 1, "input_tokens": 2, "output_tokens": 3}


def _in_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False

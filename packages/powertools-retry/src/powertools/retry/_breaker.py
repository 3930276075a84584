"""``CircuitBreaker`` and ``circuit_breaker``: stop calling a service that keeps failing.

>>> from powertools.retry import CircuitBreaker, CircuitOpenError
>>> from powertools.retry.testing import FakeClock
>>> clock = FakeClock()
>>> breaker = CircuitBreaker("db", failure_threshold=2, recovery_timeout=30, clock=clock)
>>> @breaker
... def query():
...     raise ConnectionError("down")
>>> for _ in range(2):
...     try:
...         query()
...     except ConnectionError:
...         pass
>>> breaker.state
<CircuitState.OPEN: 'open'>
>>> try:
...     query()
... except CircuitOpenError as exc:
...     print(round(exc.retry_after))
30
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar, cast

from powertools.retry._breaker_state import (
    Admission,
    BreakerStore,
    CircuitState,
    MemoryStore,
    StateListener,
    StoreSettings,
)
from powertools.retry._classify import ErrorCategory, classify
from powertools.retry._coroutines import is_async
from powertools.retry.errors import CircuitOpenError, RetryConfigError

__all__ = ["CircuitBreaker", "circuit_breaker"]

P = ParamSpec("P")
R = TypeVar("R")

StoreFactory = Callable[[StoreSettings], BreakerStore]


def _counts_by_default(exc: BaseException) -> bool:
    # A rate limit says "slow down", not "this service is broken": it does not trip the circuit.
    return classify(exc) is not ErrorCategory.RATE_LIMIT


class _Outcomes:
    """The recent outcomes that decide whether to trip: consecutive failures and a rate window."""

    __slots__ = ("_clock", "_seconds", "consecutive", "failures", "window")

    def __init__(self, size: int, seconds: float | None, clock: Callable[[], float]) -> None:
        self.window: deque[tuple[float, bool]] = deque(maxlen=None if seconds else size)
        self._seconds = seconds
        self._clock = clock
        self.consecutive = 0
        self.failures = 0

    def add(self, failed: bool) -> None:
        window = self.window
        if window.maxlen is not None and len(window) == window.maxlen:
            self.failures -= window[0][1]
        window.append((self._clock() if self._seconds else 0.0, failed))
        self.failures += failed
        self.consecutive = self.consecutive + 1 if failed else 0
        if self._seconds:
            horizon = self._clock() - self._seconds
            while window and window[0][0] < horizon:
                self.failures -= window.popleft()[1]

    def clear(self) -> None:
        self.window.clear()
        self.consecutive = self.failures = 0


class CircuitBreaker:
    """A circuit breaker; use it as a decorator, or through :meth:`call` / :meth:`acall`.

    It opens after ``failure_threshold`` consecutive failures, or when at least
    ``minimum_calls`` of the last ``window_size`` calls (or of the last ``window_seconds``)
    failed at ``failure_rate_threshold`` or more. A success slower than ``slow_call_threshold``
    seconds counts as a failure. After ``recovery_timeout`` seconds it lets exactly
    ``half_open_max_calls`` probe calls through; if all succeed it closes, if one fails it opens
    again. ``counts(exc)`` decides which errors count (rate limits do not, by default); the
    others are neither successes nor failures.
    ``storage`` shares the state between processes: a ``redis://`` URL or a
    :class:`~powertools.retry.backends.redis.RedisStorage`. No lock is held while the protected
    call runs.
    """

    def __init__(
        self,
        name: str = "default",
        *,
        failure_threshold: int | None = 5,
        recovery_timeout: float = 60.0,
        failure_rate_threshold: float | None = None,
        window_size: int = 20,
        window_seconds: float | None = None,
        minimum_calls: int = 10,
        slow_call_threshold: float | None = None,
        half_open_max_calls: int = 1,
        counts: Callable[[BaseException], bool] = _counts_by_default,
        listeners: tuple[StateListener, ...] = (),
        storage: StoreFactory | str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        _validate(failure_threshold, recovery_timeout, failure_rate_threshold, window_size)
        if half_open_max_calls < 1 or minimum_calls < 1:
            raise RetryConfigError("half_open_max_calls and minimum_calls must be at least 1")
        self.name = name
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self.failure_rate_threshold = failure_rate_threshold
        self.minimum_calls = minimum_calls
        self.slow_call_threshold = slow_call_threshold
        self.counts = counts
        self._clock = clock
        self._listeners = list(listeners)
        self._outcomes = _Outcomes(window_size, window_seconds, clock)
        self._outcomes_generation = 0
        self._records_successes = (
            failure_rate_threshold is not None or slow_call_threshold is not None
        )
        self._lock = threading.Lock()
        settings = StoreSettings(name, recovery_timeout, half_open_max_calls, clock, self._changed)
        self._store = _storage(storage)(settings)

    def __repr__(self) -> str:
        return f"<CircuitBreaker {self.name!r} {self.state.value}>"

    @property
    def state(self) -> CircuitState:
        """The circuit's state as this process last saw it."""
        return self._store.current()[0]

    def add_listener(self, listener: StateListener) -> None:
        """Call ``listener(old_state, new_state)`` on every state change."""
        self._listeners.append(listener)

    def _changed(self, old: CircuitState, new: CircuitState) -> None:
        for listener in self._listeners:
            listener(old, new)

    def open(self) -> None:
        """Open the circuit now, whatever its counts."""
        self._store.force(CircuitState.OPEN)

    def close(self) -> None:
        """Close the circuit now and forget the recent failures."""
        self._store.force(CircuitState.CLOSED)

    reset = close

    def admit(self) -> Admission:
        """Ask to make one call; raises :class:`CircuitOpenError` when the circuit refuses it."""
        admission = self._store.admit()
        if not admission.allowed:
            raise CircuitOpenError(self.name, admission.retry_after)
        return admission

    def settle(self, admission: Admission, error: BaseException | None, duration: float) -> None:
        """Record how an admitted call ended (``error`` is ``None`` on success).

        An error that does not count (``counts(error)`` is false) is neither a success nor a
        failure: it leaves the counts alone and frees its probe slot.
        """
        if error is not None and not self.counts(error):
            self.abandon(admission)
            return
        failed = error is not None or self._too_slow(duration)
        if admission.probe:
            self._store.settle_probe(admission.generation, not failed)
            return
        with self._lock:
            if admission.generation != self._store.peek()[1]:
                return  # the call began before the last transition: its outcome is stale
            if self._outcomes_generation != admission.generation:
                self._outcomes.clear()
                self._outcomes_generation = admission.generation
            self._outcomes.add(failed)
            trip = failed and self._should_trip()
            if trip:
                self._outcomes.clear()
        if trip:
            self._store.trip(admission.generation)

    def abandon(self, admission: Admission) -> None:
        """An admitted call was cancelled: free its probe slot without judging the service."""
        if admission.probe:
            self._store.settle_probe(admission.generation, None)

    def _too_slow(self, duration: float) -> bool:
        return self.slow_call_threshold is not None and duration > self.slow_call_threshold

    def _should_trip(self) -> bool:
        outcomes = self._outcomes
        if self.failure_threshold is not None and outcomes.consecutive >= self.failure_threshold:
            return True
        if self.failure_rate_threshold is None or len(outcomes.window) < self.minimum_calls:
            return False
        return outcomes.failures / len(outcomes.window) >= self.failure_rate_threshold

    def _finish(self, admission: Admission, start: float) -> None:
        # The success path: nothing to record for a closed circuit with no failure streak,
        # no rate window and no slow-call threshold, so it takes no lock and reads no clock.
        if admission.probe or self._records_successes or self._outcomes.consecutive:
            duration = self._clock() - start if self.slow_call_threshold is not None else 0.0
            self.settle(admission, None, duration)

    def call(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Call ``fn`` through the breaker."""
        admission = self._store.admit()
        if not admission.allowed:
            raise CircuitOpenError(self.name, admission.retry_after)
        start = self._clock() if self.slow_call_threshold is not None else 0.0
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            self.settle(admission, exc, self._clock() - start)
            raise
        except BaseException:
            self.abandon(admission)
            raise
        self._finish(admission, start)
        return result

    async def acall(self, fn: Callable[P, Awaitable[R]], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Await ``fn`` through the breaker; a shared store's I/O runs off the event loop."""
        admission = self._store.admit_cached()
        if admission is None:
            admission = await asyncio.to_thread(self._store.admit)
        if not admission.allowed:
            raise CircuitOpenError(self.name, admission.retry_after)
        start = self._clock() if self.slow_call_threshold is not None else 0.0
        try:
            result = await fn(*args, **kwargs)
        except Exception as exc:
            await self._asettle(admission, exc, self._clock() - start)
            raise
        except BaseException:
            self.abandon(admission)  # no await after a cancellation: at most one round trip
            raise
        if admission.probe or self._records_successes or self._outcomes.consecutive:
            duration = self._clock() - start if self.slow_call_threshold is not None else 0.0
            await self._asettle(admission, None, duration)
        return result

    async def _asettle(
        self, admission: Admission, error: BaseException | None, duration: float
    ) -> None:
        # Only failures and probes can change a shared state (a round trip); successes of a
        # closed circuit are counted here, in memory.
        if self._store.blocking and (error is not None or admission.probe):
            await asyncio.to_thread(self.settle, admission, error, duration)
        else:
            self.settle(admission, error, duration)

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Decorate a sync or async function; the wrapper's ``breaker`` attribute is this object."""
        # The sync wrapper inlines call(): one Python frame less on every protected call.
        store, settle, finish = self._store, self.settle, self._finish
        clock, name, timed = self._clock, self.name, self.slow_call_threshold is not None
        if is_async(fn):
            afn = cast(Callable[..., Awaitable[Any]], fn)

            async def aguarded(*args: Any, **kwargs: Any) -> Any:
                return await self.acall(afn, *args, **kwargs)

            wrapper: Callable[..., Any] = aguarded
        else:

            def guarded(*args: Any, **kwargs: Any) -> Any:
                admission = store.admit()
                if not admission.allowed:
                    raise CircuitOpenError(name, admission.retry_after)
                start = clock() if timed else 0.0
                try:
                    result = fn(*args, **kwargs)
                except Exception as exc:
                    settle(admission, exc, clock() - start)
                    raise
                except BaseException:
                    self.abandon(admission)
                    raise
                finish(admission, start)
                return result

            wrapper = guarded
        functools.update_wrapper(wrapper, fn)
        wrapper.breaker = self  # type: ignore[attr-defined]
        return cast(Callable[P, R], wrapper)


def _storage(storage: StoreFactory | str | None) -> StoreFactory:
    if storage is None:
        return MemoryStore
    if not isinstance(storage, str):
        return storage
    if storage.startswith(("redis://", "rediss://", "unix://")):
        from powertools.retry.backends.redis import RedisStorage

        return RedisStorage(storage)
    scheme = storage.partition("://")[0] or storage
    raise RetryConfigError(
        f"storage scheme {scheme!r} is unknown; pass a redis:// URL or a storage object"
    )


def _validate(
    failure_threshold: int | None,
    recovery_timeout: float,
    failure_rate_threshold: float | None,
    window_size: int,
) -> None:
    if failure_threshold is not None and failure_threshold < 1:
        raise RetryConfigError(f"failure_threshold={failure_threshold!r} must be >= 1, or None")
    if not recovery_timeout >= 0:
        raise RetryConfigError(f"recovery_timeout={recovery_timeout!r} must be seconds >= 0")
    if failure_rate_threshold is not None and not 0 < failure_rate_threshold <= 1:
        raise RetryConfigError(
            f"failure_rate_threshold={failure_rate_threshold!r} must be in (0, 1], e.g. 0.5"
        )
    if window_size < 1:
        raise RetryConfigError(f"window_size={window_size!r} must be at least 1")
    if failure_threshold is None and failure_rate_threshold is None:
        raise RetryConfigError("set failure_threshold or failure_rate_threshold, or both")


def circuit_breaker(
    failure_threshold: int | None = 5, recovery_timeout: float = 60.0, **options: Any
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function with its own :class:`CircuitBreaker` (options as its constructor).

    >>> @circuit_breaker(failure_threshold=5, recovery_timeout=60)
    ... def ping():
    ...     return "pong"
    >>> ping(), ping.breaker.state.value
    ('pong', 'closed')
    """

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        settings = {"name": getattr(fn, "__qualname__", "circuit"), **options}
        breaker = CircuitBreaker(
            failure_threshold=failure_threshold, recovery_timeout=recovery_timeout, **settings
        )
        return breaker(fn)

    return decorate

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
import inspect
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, ParamSpec, TypeVar, cast

from powertools.retry._breaker_state import (
    Admission,
    BreakerStore,
    CircuitState,
    MemoryStore,
    StateListener,
    StoreSettings,
)
from powertools.retry._classify import ErrorCategory, classify, is_auth_error
from powertools.retry._coroutines import is_async
from powertools.retry.errors import CircuitOpenError, RetryConfigError

__all__ = ["CircuitBreaker", "circuit_breaker", "forget_named"]

P = ParamSpec("P")
R = TypeVar("R")

StoreFactory = Callable[[StoreSettings], BreakerStore]


_COUNTED = frozenset({ErrorCategory.TRANSIENT, ErrorCategory.TIMEOUT, ErrorCategory.UNKNOWN})


def _counts_by_default(exc: BaseException) -> bool:
    # Transient, timeout and server errors (and unclassified ones) say the service is unwell.
    # A rate limit says "slow down", a 400/404/422 "your request is wrong", an open inner
    # circuit "not called at all": none of them trips the circuit.
    return classify(exc) in _COUNTED


def _counts_with_auth(exc: BaseException) -> bool:
    return is_auth_error(exc) or _counts_by_default(exc)


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
    """A circuit breaker; use it as a decorator, or through :meth:`call` / :meth:`acall`, or
    drive it yourself with :meth:`available`, :meth:`admit` and :meth:`settle`.

    It opens after ``failure_threshold`` consecutive failures, or when at least
    ``minimum_calls`` of the last ``window_size`` calls (or of the last ``window_seconds``)
    failed at ``failure_rate_threshold`` or more. A success slower than ``slow_call_threshold``
    seconds counts as a failure. Once ``recovery_timeout`` seconds have passed it is half-open
    and lets exactly ``half_open_max_calls`` probe calls through; if all succeed it closes, if
    one fails (or has not settled within ``probe_timeout``, by default ``recovery_timeout``) it
    opens again. Which errors count: transient, timeout, server and unclassified errors; not
    rate limits, not caller errors (400, 404, 422), not another breaker's
    ``CircuitOpenError``, and auth errors (401, 403) only with ``count_auth_errors=True``;
    ``counts(exc)`` replaces that rule. Errors that do not count are neither successes nor
    failures. ``storage`` shares the state between processes: a ``redis://`` URL or a
    :class:`~powertools.retry.backends.redis.RedisStorage`. No lock is held while the protected
    call runs. One breaker per service: :meth:`named` hands every caller the same one.
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
        probe_timeout: float | None = None,
        count_auth_errors: bool = False,
        counts: Callable[[BaseException], bool] | None = None,
        listeners: tuple[StateListener, ...] = (),
        storage: StoreFactory | str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        _validate(failure_threshold, recovery_timeout, failure_rate_threshold, window_size)
        if half_open_max_calls < 1 or minimum_calls < 1:
            raise RetryConfigError("half_open_max_calls and minimum_calls must be at least 1")
        if probe_timeout is not None and not probe_timeout > 0:
            raise RetryConfigError(f"probe_timeout={probe_timeout!r} must be seconds > 0, or None")
        self.name = name
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self.failure_rate_threshold = failure_rate_threshold
        self.minimum_calls = minimum_calls
        self.slow_call_threshold = slow_call_threshold
        self.probe_timeout = recovery_timeout if probe_timeout is None else probe_timeout
        if counts is None:
            counts = _counts_with_auth if count_auth_errors else _counts_by_default
        self.counts = counts
        self._clock = clock
        self._timed = slow_call_threshold is not None
        self._listeners = list(listeners)
        self._outcomes = _Outcomes(window_size, window_seconds, clock)
        self._outcomes_generation = 0
        self._records_successes = (
            failure_rate_threshold is not None or slow_call_threshold is not None
        )
        self._lock = threading.Lock()
        settings = StoreSettings(
            name, recovery_timeout, half_open_max_calls, self.probe_timeout, clock, self._changed
        )
        self._store = _storage(storage)(settings)
        self._pending: set[asyncio.Future[None]] = set()

    @classmethod
    def named(cls, name: str, **options: Any) -> CircuitBreaker:
        """The process-wide breaker called ``name``, made with ``options`` on first use.

        Every caller of one provider shares one breaker (and, with ``storage=``, one state
        across processes). Options that differ from the existing breaker's are an error:

        >>> CircuitBreaker.named("docs-llm") is CircuitBreaker.named("docs-llm")
        True
        >>> CircuitBreaker.named("docs-llm", recovery_timeout=5)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        powertools.retry.errors.RetryConfigError: ... with recovery_timeout=60.0, not 5: ...
        """
        return _REGISTRY.get(cls, name, options)

    def __repr__(self) -> str:  # never any I/O: the state as this process last saw it
        return f"<CircuitBreaker {self.name!r} {self._store.peek()[0].value}>"

    @property
    def state(self) -> CircuitState:
        """The circuit's state now (an open circuit reads half-open once it may be probed).

        A shared store may refresh it with a round trip, except on an event loop's thread,
        where it answers from the local copy; ``await astate()`` refreshes off the loop.
        """
        return self._store.current()[0]

    async def astate(self) -> CircuitState:
        """:attr:`state`, refreshing a shared store's copy in a worker thread."""
        if self._store.blocking:
            return (await asyncio.to_thread(self._store.current))[0]
        return self._store.current()[0]

    def available(self) -> bool:
        """Whether a call made now would be admitted; uses up nothing (no probe slot, no I/O).

        >>> from powertools.retry.testing import FakeClock
        >>> clock = FakeClock()
        >>> breaker = CircuitBreaker("docs-available", recovery_timeout=30, clock=clock)
        >>> breaker.open()
        >>> breaker.available(), breaker.available_in()
        (False, 30.0)
        >>> clock.advance(30)
        >>> breaker.available(), breaker.state.value
        (True, 'half_open')
        """
        return self._store.wait() <= 0.0

    def available_in(self) -> float:
        """Seconds until a call would be admitted: 0 if now. With every probe slot taken,
        the latest it can be (the probes time out, then the circuit recovers)."""
        return self._store.wait()

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
        """Ask to make one call; raises :class:`CircuitOpenError` when the circuit refuses it.

        Settle every admission with :meth:`settle` (or :meth:`abandon`).
        """
        admission = self._store.admit()
        if not admission.allowed:
            self._refuse(admission)
        return admission

    async def aadmit(self) -> Admission:
        """:meth:`admit` for async callers: a shared store's round trip runs off the loop."""
        admission = self._store.admit_cached()
        if admission is None:
            admission = await asyncio.to_thread(self._store.admit)
        if not admission.allowed:
            self._refuse(admission)
        return admission

    def _refuse(self, admission: Admission) -> NoReturn:
        raise CircuitOpenError(self.name, admission.retry_after)

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
        elif self._count(admission, failed):
            self._store.trip(admission.generation)

    async def asettle(
        self, admission: Admission, error: BaseException | None, duration: float
    ) -> None:
        """:meth:`settle` for async callers: a shared store's round trip runs off the loop."""
        # Only failures and probes can change a shared state (a round trip); successes of a
        # closed circuit are counted here, in memory.
        if self._store.blocking and (error is not None or admission.probe):
            await asyncio.to_thread(self.settle, admission, error, duration)
        else:
            self.settle(admission, error, duration)

    def _count(self, admission: Admission, failed: bool) -> bool:
        """Count a closed circuit's outcome; whether the counts now say "trip"."""
        with self._lock:
            if admission.generation != self._store.peek()[1]:
                return False  # the call began before the last transition: its outcome is stale
            if self._outcomes_generation != admission.generation:
                self._outcomes.clear()
                self._outcomes_generation = admission.generation
            self._outcomes.add(failed)
            trip = failed and self._should_trip()
            if trip:
                self._outcomes.clear()
        return trip

    def abandon(self, admission: Admission) -> None:
        """An admitted call was cancelled: free its probe slot without judging the service."""
        if admission.probe:
            self._store.settle_probe(admission.generation, None)

    def _abandon_soon(self, admission: Admission) -> None:
        # After a cancellation nothing may be awaited, and the loop must not block on Redis:
        # free the probe slot in a worker thread, holding the future until it is done.
        if not admission.probe:
            return
        if not self._store.blocking:
            self.abandon(admission)
            return
        future = asyncio.get_running_loop().run_in_executor(None, self.abandon, admission)
        self._pending.add(future)
        future.add_done_callback(self._pending.discard)

    def _too_slow(self, duration: float) -> bool:
        return self.slow_call_threshold is not None and duration > self.slow_call_threshold

    def _should_trip(self) -> bool:
        outcomes = self._outcomes
        if self.failure_threshold is not None and outcomes.consecutive >= self.failure_threshold:
            return True
        if self.failure_rate_threshold is None or len(outcomes.window) < self.minimum_calls:
            return False
        return outcomes.failures / len(outcomes.window) >= self.failure_rate_threshold

    def _success_matters(self, admission: Admission) -> bool:
        # Nothing to record for a closed circuit with no failure streak, no rate window and no
        # slow-call threshold: the success path then takes no lock and reads no clock.
        return admission.probe or self._records_successes or self._outcomes.consecutive > 0

    def _guard(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """The sync core: ``fn`` through the breaker (``call`` and the decorator use it).

        Everything it needs is bound once: a protected call through a closed circuit costs one
        call into the store and one check of whether its success needs recording.
        """
        store, settle, abandon, refuse = self._store, self.settle, self.abandon, self._refuse
        clock, timed, outcomes = self._clock, self._timed, self._outcomes
        records = self._records_successes

        def guarded(*args: Any, **kwargs: Any) -> Any:
            admission = store.admit()  # admit(), inline: the sync fast path
            if not admission.allowed:
                refuse(admission)
            start = clock() if timed else 0.0
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:
                settle(admission, exc, clock() - start)
                raise
            except BaseException:
                abandon(admission)
                raise
            if admission.probe or records or outcomes.consecutive:  # _success_matters
                settle(admission, None, clock() - start if timed else 0.0)
            return result

        return guarded

    def call(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Call ``fn`` through the breaker."""
        return cast(R, self._guard(fn)(*args, **kwargs))

    async def acall(self, fn: Callable[P, Awaitable[R]], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """Await ``fn`` through the breaker (the async core); a shared store's I/O runs off the
        event loop, also when the call is cancelled."""
        admission = self._store.admit_cached()
        if admission is None or not admission.allowed:
            admission = await self.aadmit()  # a round trip, or a refusal (raised)
        start = self._clock() if self._timed else 0.0
        try:
            result = await fn(*args, **kwargs)
        except Exception as exc:
            await self.asettle(admission, exc, self._clock() - start)
            raise
        except BaseException:
            self._abandon_soon(admission)
            raise
        # _success_matters, inline: this is the async fast path
        if admission.probe or self._records_successes or self._outcomes.consecutive:
            await self.asettle(admission, None, self._clock() - start if self._timed else 0.0)
        return result

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Decorate a sync or async function; the wrapper's ``breaker`` attribute is this object."""
        if is_async(fn):
            afn, acall = cast(Callable[..., Awaitable[Any]], fn), self.acall

            async def aguarded(*args: Any, **kwargs: Any) -> Any:
                return await acall(afn, *args, **kwargs)

            wrapper: Callable[..., Any] = aguarded
        else:
            wrapper = self._guard(fn)
        functools.update_wrapper(wrapper, fn)
        wrapper.breaker = self  # type: ignore[attr-defined]
        return cast(Callable[P, R], wrapper)


class _Registry:
    """The process-wide breakers of :meth:`CircuitBreaker.named`, with the options each got."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._breakers: dict[str, tuple[CircuitBreaker, dict[str, Any]]] = {}

    def get(self, cls: type[CircuitBreaker], name: str, options: dict[str, Any]) -> CircuitBreaker:
        unknown = sorted(set(options) - set(_defaults()))
        if unknown:
            raise RetryConfigError(
                f"CircuitBreaker.named({name!r}) got unknown options {unknown}; "
                f"use CircuitBreaker's own: {', '.join(sorted(_defaults()))}"
            )
        with self._lock:
            found = self._breakers.get(name)
            if found is None:
                breaker = cls(name, **options)
                self._breakers[name] = (breaker, _with_defaults(options))
                return breaker
        breaker, settings = found
        for key, value in options.items():
            if settings[key] != value:
                raise RetryConfigError(
                    f"CircuitBreaker.named({name!r}) already exists with "
                    f"{key}={settings[key]!r}, not {value!r}: "
                    "pass the same options everywhere, or none to reuse it"
                )
        return breaker

    def clear(self) -> None:
        with self._lock:
            self._breakers.clear()


@functools.cache
def _defaults() -> dict[str, Any]:
    parameters = inspect.signature(CircuitBreaker.__init__).parameters
    return {k: p.default for k, p in parameters.items() if p.default is not inspect.Parameter.empty}


def _with_defaults(options: dict[str, Any]) -> dict[str, Any]:
    return {**_defaults(), **options}


_REGISTRY = _Registry()


def forget_named() -> None:
    """Drop every breaker made by :meth:`CircuitBreaker.named` (for tests: see ``testing``)."""
    _REGISTRY.clear()


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

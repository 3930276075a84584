"""``retry``: the decorator, and ``retrying``: the same policy as a hand-written loop.

>>> from powertools.retry import retry
>>> from powertools.retry.testing import set_testing
>>> attempts = []
>>> @retry(max_attempts=4)
... def flaky():
...     attempts.append(1)
...     if len(attempts) < 3:
...         raise ConnectionError("reset")
...     return "ok"
>>> with set_testing(True):
...     flaky()
'ok'
>>> len(attempts)
3
"""

from __future__ import annotations

import copy
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, Unpack, cast, overload

from powertools.retry._coroutines import is_async
from powertools.retry._policy import CallState, RetryOptions, RetryPolicy

__all__ = ["Attempt", "retry", "retrying"]

P = ParamSpec("P")
R = TypeVar("R")


def _retry_sync(
    call: CallState, fn: Callable[..., Any], args: Any, kwargs: Any, exc: Exception
) -> Any:
    while True:
        wait = call.next_wait(exc)
        if wait is None:
            return _give_up_sync(call, args, kwargs)
        if wait > 0:
            call.policy.sleep(wait)
        try:
            result = fn(*args, **kwargs)
        except Exception as failure:
            exc = failure
            continue
        call.succeeded()
        return result


def _give_up_sync(call: CallState, args: Any, kwargs: Any) -> Any:
    assert call.error is not None
    if call.policy.fallback is None:
        raise call.error
    return call.policy.fallback.run(call.error, args, kwargs)


async def _retry_async(
    call: CallState, fn: Callable[..., Awaitable[Any]], args: Any, kwargs: Any, exc: Exception
) -> Any:
    while True:
        wait = call.next_wait(exc)
        if wait is None:
            return await _give_up_async(call, args, kwargs)
        if wait > 0:
            await call.policy.asleep(wait)
        try:
            result = await fn(*args, **kwargs)
        except Exception as failure:
            exc = failure
            continue
        call.succeeded()
        return result


async def _give_up_async(call: CallState, args: Any, kwargs: Any) -> Any:
    assert call.error is not None
    if call.policy.fallback is None:
        raise call.error
    return await call.policy.fallback.arun(call.error, args, kwargs)


def _sync_wrapper(policy: RetryPolicy, fn: Callable[..., Any]) -> Callable[..., Any]:
    if not policy.needs_setup:
        clock = policy.clock

        def fast(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                return _retry_sync(policy.start(clock()), fn, args, kwargs, exc)

        return fast

    def full(*args: Any, **kwargs: Any) -> Any:
        call = policy.begin()
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:
            return _retry_sync(call, fn, args, kwargs, exc)
        else:
            call.succeeded()
            return result
        finally:
            call.end()

    return full


def _async_wrapper(
    policy: RetryPolicy, fn: Callable[..., Awaitable[Any]]
) -> Callable[..., Awaitable[Any]]:
    if not policy.needs_setup:
        clock = policy.clock

        async def fast(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            except Exception as exc:
                return await _retry_async(policy.start(clock()), fn, args, kwargs, exc)

        return fast

    async def full(*args: Any, **kwargs: Any) -> Any:
        call = policy.begin()
        try:
            result = await fn(*args, **kwargs)
        except Exception as exc:
            return await _retry_async(call, fn, args, kwargs, exc)
        else:
            call.succeeded()
            return result
        finally:
            call.end()

    return full


def _decorate(policy: RetryPolicy, fn: Callable[P, R]) -> Callable[P, R]:
    if not callable(fn):
        raise TypeError(f"retry decorates a function; got {fn!r}")
    if not policy.name:  # one options object may decorate many functions: name a copy
        policy = copy.copy(policy)
        policy.name = getattr(fn, "__qualname__", type(fn).__qualname__)
    if is_async(fn):
        wrapper: Callable[..., Any] = _async_wrapper(policy, cast(Callable[..., Any], fn))
    else:
        wrapper = _sync_wrapper(policy, fn)
    return cast(Callable[P, R], functools.wraps(fn)(wrapper))


@overload
def retry(fn: Callable[P, R], /) -> Callable[P, R]: ...
@overload
def retry(
    fn: None = None, /, **options: Unpack[RetryOptions]
) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
def retry(fn: Callable[P, R] | None = None, /, **options: Unpack[RetryOptions]) -> Any:
    """Retry a sync or async function on transient failures; usable bare (``@retry``) or called.

    Options (all keyword): ``max_attempts`` (3), ``strategy`` (``"exponential_backoff"``,
    ``"fibonacci_backoff"``, ``"linear"``, ``"constant"``, a callable ``(attempt) -> seconds`` or
    a ``backoff``-style wait generator), ``base_delay`` (0.5 s), ``max_delay`` (30 s), ``jitter``
    (``True``/``"full"``, ``"equal"``, ``"decorrelated"``, ``False``), ``deadline`` (total
    seconds), ``retry_on`` / ``give_up_on`` (exception types or a predicate), ``classifier``,
    ``fallback_value``, ``fallback`` (a callable or a chain of them), ``on_escalate``, the hooks
    ``on_retry`` / ``on_give_up`` / ``on_success``, ``budget`` (a :class:`RetryBudget` or a
    shared name), ``name``, and the injectables ``clock``, ``rng``, ``sleep``, ``asleep``.

    Permanent errors are never retried, nor is an open circuit (``CircuitOpenError``) unless
    ``retry_on`` names it; ``Retry-After`` sets the next wait, and a server wait longer than
    the deadline left or than ``max(max_delay, 60)`` seconds gives up at once. When it gives
    up on an error that carries an HTTP status, it raises the matching
    :mod:`~powertools.retry.errors` class (``RateLimitError`` for a 429, ``PermanentError`` for
    a 401, ...) with the original as ``__cause__``; other errors are re-raised unchanged.
    ``CancelledError``, ``KeyboardInterrupt`` and ``SystemExit`` pass straight through.

    >>> @retry(max_attempts=2, fallback_value="offline", sleep=lambda seconds: None)
    ... def ping():
    ...     raise ConnectionError("reset")
    >>> ping()
    'offline'
    """
    policy = RetryPolicy(**options)
    if fn is not None:
        return _decorate(policy, fn)
    return functools.partial(_decorate, policy)


class Attempt:
    """One attempt of a :func:`retrying` loop: a context manager that records its failure."""

    __slots__ = ("error", "number")

    def __init__(self, number: int) -> None:
        self.number = number
        self.error: Exception | None = None

    def __repr__(self) -> str:
        return f"<Attempt {self.number}>"

    def __enter__(self) -> Attempt:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if isinstance(error, Exception):
            self.error = error
            return True  # the loop decides whether to retry or re-raise
        return False


class retrying:  # noqa: N801 - used like a function, as stamina's retry_context
    """The retry policy as a loop you write yourself, sync or async.

    >>> from powertools.retry.testing import set_testing
    >>> tries = []
    >>> with set_testing(True):
    ...     for attempt in retrying(max_attempts=3):
    ...         with attempt:
    ...             tries.append(attempt.number)
    ...             if attempt.number < 2:
    ...                 raise ConnectionError("reset")
    >>> tries
    [1, 2]

    ``async for attempt in retrying(...)`` sleeps with ``asyncio.sleep``. Fallbacks do not apply
    to the loop: when it gives up it re-raises the last error.
    """

    __slots__ = ("_policy",)

    def __init__(self, **options: Unpack[RetryOptions]) -> None:
        self._policy = RetryPolicy(**options)

    def __iter__(self) -> Iterator[Attempt]:
        call = self._policy.begin()
        try:
            while True:
                attempt = Attempt(call.attempt)
                yield attempt
                if attempt.error is None:
                    call.succeeded()
                    return
                wait = call.next_wait(attempt.error)
                if wait is None:
                    assert call.error is not None
                    raise call.error
                if wait > 0:
                    self._policy.sleep(wait)
        finally:
            call.end()

    async def __aiter__(self) -> AsyncIterator[Attempt]:
        call = self._policy.begin()
        try:
            while True:
                attempt = Attempt(call.attempt)
                yield attempt
                if attempt.error is None:
                    call.succeeded()
                    return
                wait = call.next_wait(attempt.error)
                if wait is None:
                    assert call.error is not None
                    raise call.error
                if wait > 0:
                    await self._policy.asleep(wait)
        finally:
            call.end()

"""Fallbacks: other functions to try, then a default value, then an escalation hook.

>>> from powertools.retry import fallback
>>> def cheap(prompt):
...     return f"cheap answer to {prompt}"
>>> @fallback(cheap)
... def expensive(prompt):
...     raise ConnectionError("down")
>>> expensive("hi")
'cheap answer to hi'
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, ParamSpec, TypeVar, cast

from powertools.retry._coroutines import is_async
from powertools.retry.errors import RetryConfigError

__all__ = ["MISSING", "FallbackChain", "fallback"]

P = ParamSpec("P")
R = TypeVar("R")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final[Any] = _Missing()

_log = logging.getLogger("powertools.retry")

Escalation = Callable[[BaseException], object]


class FallbackChain:
    """What to do once a call has failed for good: try each handler, then the value, then escalate.

    Handlers receive the original call's arguments. If every handler fails and there is no
    value, ``on_escalate`` receives the original error, which is then re-raised.
    """

    __slots__ = ("_handlers", "_on_escalate", "_value")

    def __init__(
        self,
        handlers: Sequence[Callable[..., Any]] = (),
        *,
        value: Any = MISSING,
        on_escalate: Escalation | None = None,
    ) -> None:
        for handler in handlers:
            if not callable(handler):
                raise RetryConfigError(f"fallback {handler!r} is not callable; pass a function")
        self._handlers = tuple(handlers)
        self._value = value
        self._on_escalate = on_escalate

    @classmethod
    def build(
        cls,
        handlers: Callable[..., Any] | Sequence[Callable[..., Any]] | None,
        value: Any,
        on_escalate: Escalation | None,
    ) -> FallbackChain | None:
        """A chain from ``retry``'s arguments, or ``None`` when there is nothing to fall back on."""
        if handlers is None:
            handlers = ()
        elif callable(handlers):
            handlers = (handlers,)
        if not handlers and value is MISSING and on_escalate is None:
            return None
        return cls(handlers, value=value, on_escalate=on_escalate)

    def _exhausted(self, error: BaseException, failures: list[BaseException]) -> Any:
        if self._value is not MISSING:
            return self._value
        if self._on_escalate is not None:
            self._on_escalate(error)
        for failure in failures:  # re-raised with the original: say what else was tried
            error.add_note(f"fallback failed too: {type(failure).__qualname__}: {failure}")
        raise error

    def _failed(self, handler: Callable[..., Any], failure: Exception) -> Exception:
        name = getattr(handler, "__qualname__", repr(handler))
        _log.warning("fallback %s failed: %s", name, type(failure).__name__, exc_info=failure)
        return failure

    def run(self, error: BaseException, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Recover from ``error`` synchronously, or re-raise it.

        A handler's own failure is logged (``powertools.retry``, with its traceback) and, if
        nothing recovers, noted on the re-raised error.
        """
        failures: list[BaseException] = []
        for handler in self._handlers:
            try:
                return handler(*args, **kwargs)
            except Exception as failure:
                failures.append(self._failed(handler, failure))
        return self._exhausted(error, failures)

    async def arun(
        self, error: BaseException, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        """Recover from ``error``, awaiting async handlers, or re-raise it (as :meth:`run`)."""
        failures: list[BaseException] = []
        for handler in self._handlers:
            try:
                result = handler(*args, **kwargs)
                if inspect.isawaitable(result):
                    result = await result
            except Exception as failure:
                failures.append(self._failed(handler, failure))
                continue
            return result
        return self._exhausted(error, failures)


def _matcher(
    on: type[BaseException] | tuple[type[BaseException], ...],
) -> tuple[type[Exception], ...]:
    types = on if isinstance(on, tuple) else (on,)
    for kind in types:
        if not (isinstance(kind, type) and issubclass(kind, Exception)):
            raise RetryConfigError(
                f"on={kind!r} is not an Exception subclass; BaseExceptions such as "
                "CancelledError and KeyboardInterrupt are never caught"
            )
    return cast(tuple[type[Exception], ...], types)


def fallback(
    *handlers: Callable[..., Any],
    default: Any = MISSING,
    on: type[BaseException] | tuple[type[BaseException], ...] = Exception,
    on_escalate: Escalation | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a function so that its failures (``on``) go through a :class:`FallbackChain`.

    Composes with ``retry`` and ``circuit_breaker`` in either order: outside them it catches
    what they finally raise (``CircuitOpenError`` included); inside, it recovers each attempt.
    """
    chain = FallbackChain(handlers, value=default, on_escalate=on_escalate)
    caught = _matcher(on)

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        if is_async(fn):
            afn = cast(Callable[..., Awaitable[Any]], fn)

            @functools.wraps(fn)
            async def arecover(*args: Any, **kwargs: Any) -> Any:
                try:
                    return await afn(*args, **kwargs)
                except caught as exc:
                    return await chain.arun(exc, args, kwargs)

            return cast(Callable[P, R], arecover)

        @functools.wraps(fn)
        def recover(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return fn(*args, **kwargs)
            except caught as exc:
                return cast(R, chain.run(exc, args, kwargs))

        return recover

    return decorate

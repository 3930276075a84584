"""Decorating sync and async functions so each call acquires from a limiter first.

Each call is charged an estimate before it runs — ``tokens=`` (a number, an argument's name
or a callable of the arguments), else the limiter's ``default_tokens`` — and settled to the
actual usage after it: what the function passed to ``report_usage()`` while it ran, else the
``usage`` its result carries (an OpenAI, Anthropic or Gemini response, as an object or a
dict). A call that raises, or whose usage is not known, keeps its estimate.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from typing import Any, Protocol, TypeVar, cast

from powertools.ratelimit._reservation import Reservation
from powertools.ratelimit.errors import ConfigurationError, RateLimiterError

__all__ = [
    "Acquirer",
    "LimitDecorator",
    "TokenSource",
    "report_usage",
    "token_counter",
    "usage_of",
]

F = TypeVar("F", bound=Callable[..., Any])

#: A call's token estimate: a number, the name of an argument, or a callable of the arguments.
TokenSource = float | str | Callable[..., float | None] | None


def token_counter(
    source: TokenSource, func: Callable[..., Any]
) -> Callable[[tuple[Any, ...], dict[str, Any]], float | None]:
    """Turn a ``TokenSource`` into a function of the call's arguments.

    >>> def ask(prompt, max_tokens=100): ...
    >>> token_counter("max_tokens", ask)(("hi",), {})
    100
    """
    if source is None or isinstance(source, int | float):
        constant = source
        return lambda args, kwargs: constant
    if callable(source):
        counter = source
        return lambda args, kwargs: counter(*args, **kwargs)
    signature = inspect.signature(func)
    if source not in signature.parameters:
        raise ConfigurationError(
            f"tokens={source!r} names no argument of {func.__qualname__}: use one of "
            f"{', '.join(signature.parameters)}, a number, or a callable"
        )
    name = source

    def from_argument(args: tuple[Any, ...], kwargs: dict[str, Any]) -> float | None:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return cast("float | None", bound.arguments[name])

    return from_argument


def tenant_function(
    tenant: str | Callable[..., str] | None,
) -> Callable[[tuple[Any, ...], dict[str, Any]], str | None]:
    """Turn a fixed tenant or a callable of the arguments into a function of the call."""
    if tenant is None or isinstance(tenant, str):
        fixed = tenant
        return lambda args, kwargs: fixed
    derive = tenant
    return lambda args, kwargs: derive(*args, **kwargs)


class Acquirer(Protocol):
    """What the decorator needs of a limiter."""

    @property
    def default_tokens(self) -> float:
        """The estimate charged to a call that gives none."""
        ...

    def acquire(
        self,
        tokens: float | None = None,
        *,
        priority: str = "normal",
        tenant: str | None = None,
        timeout: float | None = None,
    ) -> Reservation:
        """A reservation of one call's cost."""
        ...


class _Call:
    """The decorated call in progress: its reservation, and whether its usage was reported."""

    __slots__ = ("reported", "reservation")

    def __init__(self, reservation: Reservation) -> None:
        self.reservation = reservation
        self.reported = False


_current: ContextVar[_Call | None] = ContextVar("powertools_ratelimit_call", default=None)


def report_usage(
    tokens: float | None = None,
    *,
    input_tokens: float | None = None,
    output_tokens: float | None = None,
) -> None:
    """Settle the running rate-limited call to its actual usage (inside a decorated function).

    >>> from powertools.ratelimit import RateLimiter
    >>> limiter = RateLimiter(tokens_per_minute=10_000)
    >>> @limiter.limit(tokens=2_000)
    ... def ask(prompt: str) -> str:
    ...     report_usage(tokens=300)  # what the provider said it used
    ...     return prompt
    >>> ask("hi"), round(limiter.stats()[0].in_use)
    ('hi', 300)
    """
    call = _current.get()
    if call is None:
        raise RateLimiterError(
            "report_usage() was called outside a rate-limited function: call it inside a "
            "function decorated with @rate_limit or @limiter.limit, or settle your own "
            "reservation with reservation.settle(tokens=...)"
        )
    call.reported = True
    call.reservation.settle(tokens, input_tokens=input_tokens, output_tokens=output_tokens)


def _field(source: object, name: str) -> Any:
    if isinstance(source, Mapping):
        return source.get(name)
    return getattr(source, name, None)


def usage_of(result: object) -> tuple[float, float | None, float | None] | None:
    """Tokens used, as a response reports them: ``(total, input, output)``, or ``None``.

    >>> usage_of({"usage": {"prompt_tokens": 12, "completion_tokens": 30, "total_tokens": 42}})
    (42.0, 12.0, 30.0)
    >>> usage_of("just text") is None
    True
    """
    usage = _field(result, "usage")
    if usage is None and (meta := _field(result, "usage_metadata")) is not None:  # Gemini
        total, inp, out = (
            _field(meta, "total_token_count"),
            _field(meta, "prompt_token_count"),
            _field(meta, "candidates_token_count"),
        )
    elif usage is not None:  # OpenAI (prompt/completion), Anthropic (input/output)
        inp = (
            _field(usage, "prompt_tokens")
            if _field(usage, "input_tokens") is None
            else (_field(usage, "input_tokens"))
        )
        out = (
            _field(usage, "completion_tokens")
            if _field(usage, "output_tokens") is None
            else (_field(usage, "output_tokens"))
        )
        total = _field(usage, "total_tokens")
    else:
        return None
    numbers = [float(x) if isinstance(x, int | float) else None for x in (total, inp, out)]
    if numbers[0] is None:
        if numbers[1] is None and numbers[2] is None:
            return None
        numbers[0] = (numbers[1] or 0.0) + (numbers[2] or 0.0)
    return cast("tuple[float, float | None, float | None]", tuple(numbers))


def _settle_from(call: _Call, result: object) -> None:
    if call.reported:
        return
    usage = usage_of(result)
    if usage is not None:
        total, inp, out = usage
        call.reservation.settle(total, input_tokens=inp, output_tokens=out)


class LimitDecorator:
    """What ``RateLimiter.limit(...)`` returns: apply it to a sync or async function."""

    __slots__ = ("_limiter", "_priority", "_tenant", "_timeout", "_tokens")

    def __init__(
        self,
        limiter: Acquirer,
        priority: str,
        tokens: TokenSource,
        tenant: str | Callable[..., str] | None,
        timeout: float | None,
    ) -> None:
        self._limiter = limiter
        self._priority = priority
        self._tokens = tokens
        self._tenant = tenant
        self._timeout = timeout

    def __call__(self, func: F) -> F:
        limiter, priority, timeout = self._limiter, self._priority, self._timeout
        count = token_counter(self._tokens, func)
        tenant_of = tenant_function(self._tenant)

        def reserve(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Reservation:
            estimate = count(args, kwargs)
            return limiter.acquire(
                limiter.default_tokens if estimate is None else estimate,
                priority=priority,
                tenant=tenant_of(args, kwargs),
                timeout=timeout,
            )

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                async with reserve(args, kwargs) as reservation:
                    call = _Call(reservation)
                    token = _current.set(call)
                    try:
                        result = await func(*args, **kwargs)
                    finally:
                        _current.reset(token)
                    _settle_from(call, result)
                    return result

            return cast("F", async_wrapper)

        @functools.wraps(func)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            with reserve(args, kwargs) as reservation:
                call = _Call(reservation)
                token = _current.set(call)
                try:
                    result = func(*args, **kwargs)
                finally:
                    _current.reset(token)
                _settle_from(call, result)
                return result

        return cast("F", sync_wrapper)

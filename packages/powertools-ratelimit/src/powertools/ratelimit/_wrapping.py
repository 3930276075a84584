"""Decorating sync and async functions so each call acquires from a limiter first."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from powertools.ratelimit.errors import ConfigurationError

if TYPE_CHECKING:
    from powertools.ratelimit._limiter import RateLimiter

__all__ = ["LimitDecorator", "TokenSource", "token_counter"]

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


def key_function(
    key: str | Callable[..., str] | None,
) -> Callable[[tuple[Any, ...], dict[str, Any]], str | None]:
    """Turn a fixed key or a callable of the arguments into a function of the call."""
    if key is None or isinstance(key, str):
        fixed = key
        return lambda args, kwargs: fixed
    derive = key
    return lambda args, kwargs: derive(*args, **kwargs)


class LimitDecorator:
    """What ``RateLimiter.limit(...)`` returns: apply it to a sync or async function."""

    __slots__ = ("_key", "_limiter", "_priority", "_timeout", "_tokens")

    def __init__(
        self,
        limiter: RateLimiter,
        priority: str,
        tokens: TokenSource,
        key: str | Callable[..., str] | None,
        timeout: float | None,
    ) -> None:
        self._limiter = limiter
        self._priority = priority
        self._tokens = tokens
        self._key = key
        self._timeout = timeout

    def __call__(self, func: F) -> F:
        count = token_counter(self._tokens, func)
        key_of = key_function(self._key)
        limiter, priority, timeout = self._limiter, self._priority, self._timeout

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                reservation = limiter.acquire(
                    count(args, kwargs),
                    priority=priority,
                    key=key_of(args, kwargs),
                    timeout=timeout,
                )
                async with reservation:
                    return await func(*args, **kwargs)

            return cast("F", async_wrapper)

        @functools.wraps(func)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            reservation = limiter.acquire(
                count(args, kwargs), priority=priority, key=key_of(args, kwargs), timeout=timeout
            )
            with reservation:
                return func(*args, **kwargs)

        return cast("F", sync_wrapper)

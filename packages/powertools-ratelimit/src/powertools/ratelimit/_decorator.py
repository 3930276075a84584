"""``rate_limit``: the decorator form, one limiter per name shared by every function using it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from powertools.ratelimit._limiter import RateLimiter
from powertools.ratelimit._limits import limits_from_kwargs
from powertools.ratelimit._scheduler import check_priority
from powertools.ratelimit._store import Store
from powertools.ratelimit._wrapping import TokenSource

__all__ = ["rate_limit", "shared_limiter"]

F = TypeVar("F", bound=Callable[..., Any])

_registry: dict[str, RateLimiter] = {}
_registry_lock = threading.Lock()


def shared_limiter(name: str, make: Callable[[], RateLimiter]) -> RateLimiter:
    """The limiter registered under ``name``, made by ``make`` the first time."""
    with _registry_lock:
        limiter = _registry.get(name)
        if limiter is None:
            limiter = _registry[name] = make()
        return limiter


def rate_limit(
    *,
    requests_per_minute: float | None = None,
    tokens_per_minute: float | None = None,
    tokens_per_hour: float | None = None,
    requests_per_day: float | None = None,
    max_concurrent: int | None = None,
    priority: str = "normal",
    tokens: TokenSource = None,
    name: str | None = None,
    tenant: str | Callable[..., str] | None = None,
    store: Store | str | None = None,
    timeout: float | None = None,
    burst: Mapping[str, float] | None = None,
    **more_limits: float | None,
) -> Callable[[F], F]:
    """Limit a sync or async function: each call waits for request and token capacity.

    ``name`` names the limit: functions decorated with the same name share one limiter (and,
    with a shared ``store``, every process does). Without a name each function has its own.
    ``tokens`` is the call's token estimate (a number, an argument's name or a callable of the
    arguments); without it each call is charged the limiter's ``default_tokens`` (1,000, at
    most the smallest token limit). Each call is then settled to its actual usage: what the
    function passes to ``report_usage()``, or the ``usage`` its result carries. ``tenant``
    names who the call is for, so tenants share capacity fairly. More limits go as keywords,
    e.g. ``output_tokens_per_minute=8_000``.

    >>> @rate_limit(requests_per_minute=600, tokens="max_tokens", priority="high")
    ... def ask(prompt: str, max_tokens: int = 256) -> str:
    ...     return prompt.upper()
    >>> ask("hello")
    'HELLO'
    """
    check_priority(priority)
    limits = {
        "requests_per_minute": requests_per_minute,
        "tokens_per_minute": tokens_per_minute,
        "tokens_per_hour": tokens_per_hour,
        "requests_per_day": requests_per_day,
        **more_limits,
    }

    configured = limits_from_kwargs(limits, burst)

    def make(name: str) -> RateLimiter:
        return RateLimiter(name=name, limits=configured, max_concurrent=max_concurrent, store=store)

    def decorate(func: F) -> F:
        own = name or f"{func.__module__}.{func.__qualname__}"
        limiter = shared_limiter(name, lambda: make(own)) if name else make(own)
        return limiter.limit(priority, tokens=tokens, tenant=tenant, timeout=timeout)(func)

    return decorate

"""The router's only adapter onto ``powertools.ratelimit`` (the optional ``ratelimit`` extra).

One ``RateLimiter.for_provider(family, model)`` per candidate, with that provider's published
defaults, fed with every response's headers and status. The engine asks for the expected wait
(:meth:`RateLimits.expected_wait`) to skip a candidate whose queue is longer than the deadline
allows, instead of queuing behind it. Without the extra installed, nothing is limited.

>>> limits = RateLimits(enabled=True)
>>> limits.expected_wait("openai", "gpt-4o", 1_000)
0.0
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from powertools.ratelimit import RateLimiter

__all__ = ["RateLimits", "ratelimit_installed"]

_NO_SLOT: contextlib.nullcontext[None] = contextlib.nullcontext()  # reusable, keeps no state


def ratelimit_installed() -> bool:
    """Whether ``powertools-ratelimit`` can be imported."""
    try:
        import powertools.ratelimit  # noqa: F401
    except ImportError:
        return False
    return True


class RateLimits:
    """Rate limiters per (provider family, model), created on first use."""

    def __init__(
        self,
        *,
        enabled: bool | None = None,
        config: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        installed = ratelimit_installed()
        if enabled and not installed:
            from powertools.router.errors import ConfigurationError

            raise ConfigurationError(
                "rate_limits=True needs powertools-ratelimit: "
                "install 'powertools-router[ratelimit]'"
            )
        self.enabled = installed if enabled is None else enabled
        self.config = config
        self._limiters: dict[tuple[str, str], RateLimiter | None] = {}

    def _get(self, family: str, model: str) -> RateLimiter | None:
        if not self.enabled:
            return None
        try:
            return self._limiters[(family, model)]
        except KeyError:
            pass
        from powertools.ratelimit import ConfigurationError, RateLimiter

        try:
            limiter: RateLimiter | None = RateLimiter.for_provider(
                family, model, config=self.config
            )
        except ConfigurationError:
            limiter = None  # a family with no published limits (simulated, a custom one)
        self._limiters[(family, model)] = limiter
        return limiter

    def expected_wait(
        self, family: str, model: str, tokens: int, priority: str = "normal"
    ) -> float:
        """Seconds a call of ``tokens`` at ``priority`` would wait now (0 when unlimited).

        The priority matters behind a queue: a ``critical`` call is served before the
        ``low`` ones already waiting, so its wait is shorter than theirs.
        """
        limiter = self._get(family, model)
        return 0.0 if limiter is None else limiter.estimate_wait(tokens, priority=priority)

    def slot(
        self, family: str, model: str, tokens: int, *, priority: str, wait_at_most: float
    ) -> contextlib.AbstractAsyncContextManager[Any]:
        """Wait (at most ``wait_at_most`` seconds) for room for one call of ``tokens``.

        ``async with`` it; unlimited, it is a shared no-op context.
        """
        limiter = self._get(family, model)
        if limiter is None:
            return _NO_SLOT
        acquired: contextlib.AbstractAsyncContextManager[Any] = limiter.acquire(
            tokens=tokens, priority=priority, timeout=wait_at_most
        )
        return acquired

    def observe(
        self,
        family: str,
        model: str,
        headers: Mapping[str, str] | None,
        status_code: int | None,
        *,
        reservation: Any = None,
        used_tokens: int | None = None,
    ) -> None:
        """Feed one response (or failure) back: headers, status and the tokens really used."""
        limiter = self._get(family, model)
        if limiter is None:
            return
        if reservation is not None and used_tokens is not None:
            reservation.settle(tokens=used_tokens)
        if headers or status_code == 429:
            limiter.observe(headers, status_code)

"""How this component joins a powertools stack: its ``powertools.components`` entry point.

The meta-package (``ai-powertools``) reads these names; nothing in this package imports them.

>>> limiter = build({"requests_per_minute": 600}, {})
>>> [(limit.dimension, limit.limit, limit.period) for limit in limiter.limits]
[('requests', 600, 60.0)]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from powertools.ratelimit import RateLimiter

NAME = "ratelimit"
EXPORTS = {
    "RateLimiter": "powertools.ratelimit:RateLimiter",
    "QuotaManager": "powertools.ratelimit:QuotaManager",
    "rate_limit": "powertools.ratelimit:rate_limit",
}
COMMANDS: dict[str, tuple[str, str]] = {}
OPTIONS = {
    "requests_per_minute": ("float", None, "the application's own request limit, all providers"),
    "tokens_per_minute": ("float", None, "the application's own token limit, all providers"),
    "max_concurrent": ("int", None, "calls in flight at once"),
    "store": ("str", None, "memory:// or redis://... to share the limits across a fleet"),
}
AFTER: tuple[str, ...] = ()

_LIMITS = ("requests_per_minute", "tokens_per_minute")


def build(options: Mapping[str, Any], parts: Mapping[str, Any]) -> RateLimiter:
    """The stack's application-wide limiter (each provider also has its own, in the router)."""
    limits = {key: options[key] for key in _LIMITS if options.get(key) is not None}
    return RateLimiter(
        name="stack",
        max_concurrent=options.get("max_concurrent"),
        store=options.get("store"),
        **limits,
    )

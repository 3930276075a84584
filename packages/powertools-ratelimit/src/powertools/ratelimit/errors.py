"""Every public exception of ``powertools.ratelimit``.

The hierarchy::

    RateLimiterError            base of every error this package raises
    ├── ConfigurationError      a limit, priority or store was given a value it cannot take
    ├── RequestTooLargeError    a request asks for more than a limit can ever grant
    ├── RateLimitTimeout        waiting for capacity took longer than the caller's timeout
    └── StoreUnavailableError   the shared store is unreachable and the policy is "closed"
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "RateLimitTimeout",
    "RateLimiterError",
    "RequestTooLargeError",
    "StoreUnavailableError",
]


class RateLimiterError(Exception):
    """Base class of every error raised by ``powertools.ratelimit``.

    Its area: request and token limits, priority queues and quotas.
    """


class ConfigurationError(RateLimiterError, ValueError):
    """A limit, priority, store URL or configuration file holds a value that cannot work."""


class RequestTooLargeError(RateLimiterError, ValueError):
    """A request costs more than a limit's whole period allows, so it could never be admitted."""


class RateLimitTimeout(RateLimiterError, TimeoutError):  # noqa: N818 - reads as the event
    """The caller's timeout passed before the limiter had capacity; nothing was taken."""


class StoreUnavailableError(RateLimiterError, ConnectionError):
    """The shared store cannot be reached and its failure policy is ``"closed"``."""

"""Every public exception of ``powertools.ratelimit``.

The hierarchy::

    RateLimiterError            base of every error this package raises
"""

from __future__ import annotations

__all__ = ["RateLimiterError"]


class RateLimiterError(Exception):
    """Base class of every error raised by ``powertools.ratelimit``.

    Its area: request and token limits, priority queues and quotas.
    """

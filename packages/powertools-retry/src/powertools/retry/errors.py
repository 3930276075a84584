"""Every public exception of ``powertools.retry``.

The hierarchy::

    RetryError            base of every error this package raises
"""

from __future__ import annotations

__all__ = ["RetryError"]


class RetryError(Exception):
    """Base class of every error raised by ``powertools.retry``.

    Its area: retries, error classification, circuit breakers and fallbacks.
    """

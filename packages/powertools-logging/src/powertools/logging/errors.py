"""Every public exception of ``powertools.logging``.

The hierarchy::

    LoggingError            base of every error this package raises
"""

from __future__ import annotations

__all__ = ["LoggingError"]


class LoggingError(Exception):
    """Base class of every error raised by ``powertools.logging``.

    Its area: structured events, sinks, metrics, audit trail and queries.
    """

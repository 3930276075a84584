"""Every public exception of ``powertools.session``.

The hierarchy::

    SessionError            base of every error this package raises
"""

from __future__ import annotations

__all__ = ["SessionError"]


class SessionError(Exception):
    """Base class of every error raised by ``powertools.session``.

    Its area: durable session state on many backends.
    """

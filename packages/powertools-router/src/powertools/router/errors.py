"""Every public exception of ``powertools.router``.

The hierarchy::

    RouterError            base of every error this package raises
"""

from __future__ import annotations

__all__ = ["RouterError"]


class RouterError(Exception):
    """Base class of every error raised by ``powertools.router``.

    Its area: routing LLM tasks between local and cloud models.
    """

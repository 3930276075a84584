"""Every public exception of ``powertools.cost``.

The hierarchy::

    CostError            base of every error this package raises
"""

from __future__ import annotations

__all__ = ["CostError"]


class CostError(Exception):
    """Base class of every error raised by ``powertools.cost``.

    Its area: token counting, pricing, cost ledgers and budgets.
    """

"""powertools.cost — token counting, pricing, cost ledgers and budgets."""

from powertools.cost.errors import CostError

__version__ = "0.1.0"

__all__ = ["CostError", "__version__"]

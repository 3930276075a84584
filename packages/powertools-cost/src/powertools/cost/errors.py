"""Every public exception of ``powertools.cost``.

The hierarchy::

    CostError                 base of every error this package raises
    ├── UnknownModelError     no price for a model (and no fallback price configured)
    ├── PricingDataError      a price file is malformed, fails a lint rule or shrank too much
    ├── UsageFormatError      a provider usage payload does not have the expected shape
    ├── BudgetExceededError   a call cannot fit in a budget; raised before any money is spent
    ├── MissingUsageError     a span that requires usage ended without any
    ├── LedgerError           a ledger cannot be reached or is misconfigured
    ├── ConfigurationError    an option or ledger URL that cannot work as given (ValueError)
    ├── MissingExtraError     an optional dependency is not installed (ImportError)
    ├── TokenizerUnavailableWarning  (a warning) tokenizer missing, counts are estimates
    ├── BudgetAlertWarning    (a warning) a budget's alert threshold was crossed, no callback
    ├── BudgetOverrunWarning  (a warning) a call cost more than its hold and passed a limit
    └── CaptureWarning        (a warning) the httpx capture could not record or price a call
"""

from __future__ import annotations

from decimal import Decimal

__all__ = [
    "BudgetAlertWarning",
    "BudgetExceededError",
    "BudgetOverrunWarning",
    "CaptureWarning",
    "ConfigurationError",
    "CostError",
    "LedgerError",
    "MissingExtraError",
    "MissingUsageError",
    "PricingDataError",
    "TokenizerUnavailableWarning",
    "UnknownModelError",
    "UsageFormatError",
]


class CostError(Exception):
    """Base class of every error raised by ``powertools.cost``.

    Its area: token counting, pricing, cost ledgers and budgets.
    """


class UnknownModelError(CostError, LookupError):
    """No price is known for a model and no fallback price is configured."""

    def __init__(self, model: str, suggestions: list[str]) -> None:
        self.model = model
        self.suggestions = suggestions
        hint = f" Did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(
            f"no price known for model {model!r}.{hint} Set a price with "
            "PriceBook.set_price(...), price unknown models with PriceBook(fallback=...) or "
            "CostTracker(fallback_price=...), or pass provider='ollama' (or 'llamacpp') for a "
            "model that runs locally (priced at $0)."
        )


class PricingDataError(CostError, ValueError):
    """A pricing file is malformed, fails a lint rule, or would shrink the database too much."""


class UsageFormatError(CostError, ValueError):
    """A provider's usage payload is not in the shape its normaliser expects."""


class BudgetExceededError(CostError):
    """A call cannot fit in a budget; raised before the call, so nothing was spent."""

    def __init__(self, budget: str, requested: Decimal, available: Decimal) -> None:
        self.budget = budget
        self.requested = requested
        self.available = available
        super().__init__(
            f"budget {budget!r} cannot fit this call: it needs up to ${requested} but "
            f"${available} is left. Raise the limit, give track_call() the prompt and a lower "
            "max_tokens, or wait for the next window."
        )


class MissingUsageError(CostError):
    """A span created with ``require_usage=True`` ended without any usage recorded."""


class LedgerError(CostError):
    """A ledger cannot be reached, or its URL or extra is wrong."""


class ConfigurationError(CostError, ValueError):
    """An option or ledger URL that cannot work as given; the message says what to write."""


class MissingExtraError(CostError, ImportError):
    """An optional dependency is not installed; the message names the extra that provides it.

    >>> print(MissingExtraError("the Redis ledger", "redis"))
    the Redis ledger needs an optional dependency: pip install 'powertools-cost[redis]'
    """

    def __init__(self, thing: str, extra: str) -> None:
        super().__init__(
            f"{thing} needs an optional dependency: pip install 'powertools-cost[{extra}]'"
        )
        self.extra = extra


class TokenizerUnavailableWarning(CostError, UserWarning):  # noqa: N818  (a warning)
    """tiktoken's encodings could not be loaded (offline?); counts are estimates."""


class BudgetAlertWarning(CostError, UserWarning):  # noqa: N818  (a warning)
    """A budget's alert threshold was crossed and no ``on_alert`` callback is registered."""


class BudgetOverrunWarning(CostError, UserWarning):  # noqa: N818  (a warning)
    """A call cost more than it had reserved and took its budget past the limit."""


class CaptureWarning(CostError, UserWarning):  # noqa: N818  (a warning)
    """The httpx capture could not read, price or record a response (the call still succeeds)."""

"""powertools.cost — token counting, pricing, cost ledgers and budgets."""

from typing import TYPE_CHECKING as _TYPE_CHECKING

if _TYPE_CHECKING:
    from powertools.cost._budget import (
        Alert,
        Budget,
        BudgetManager,
        BudgetStatus,
        Overrun,
        Reservation,
    )
    from powertools.cost._forecast import Forecast
    from powertools.cost._ledger import Ledger, MemoryLedger, SyncLedger
    from powertools.cost._ledgers import open_ledger
    from powertools.cost._money import Money, usd
    from powertools.cost._normalise import (
        from_anthropic,
        from_gemini,
        from_llamacpp,
        from_ollama,
        from_openai,
        from_openai_responses,
        parse_response,
    )
    from powertools.cost._pricebook import PriceBook, cost_of, price_for
    from powertools.cost._pricestore import ImportReport, PriceStore
    from powertools.cost._pricing import ModelPrice, PricePeriod, Rates
    from powertools.cost._records import CallRecord, from_csv, from_json, to_csv, to_json
    from powertools.cost._report import Analytics, DailyReport
    from powertools.cost._span import Span, current_span, report_usage
    from powertools.cost._tokens import (
        TokenCount,
        count_message_tokens,
        count_tokens,
        encoding_name,
    )
    from powertools.cost._tracker import CostTracker
    from powertools.cost._usage import Usage
    from powertools.cost.errors import (
        BudgetAlertWarning,
        BudgetExceededError,
        BudgetOverrunWarning,
        CaptureWarning,
        ConfigurationError,
        CostError,
        LedgerError,
        MissingExtraError,
        MissingUsageError,
        PricingDataError,
        TokenizerUnavailableWarning,
        UnknownModelError,
        UsageFormatError,
    )

__version__ = "0.1.0"

__all__ = [
    "Alert",
    "Analytics",
    "Budget",
    "BudgetAlertWarning",
    "BudgetExceededError",
    "BudgetManager",
    "BudgetOverrunWarning",
    "BudgetStatus",
    "CallRecord",
    "CaptureWarning",
    "ConfigurationError",
    "CostError",
    "CostTracker",
    "DailyReport",
    "Forecast",
    "ImportReport",
    "Ledger",
    "LedgerError",
    "MemoryLedger",
    "MissingExtraError",
    "MissingUsageError",
    "ModelPrice",
    "Money",
    "Overrun",
    "PriceBook",
    "PricePeriod",
    "PriceStore",
    "PricingDataError",
    "Rates",
    "Reservation",
    "Span",
    "SyncLedger",
    "TokenCount",
    "TokenizerUnavailableWarning",
    "UnknownModelError",
    "Usage",
    "UsageFormatError",
    "__version__",
    "cost_of",
    "count_message_tokens",
    "count_tokens",
    "current_span",
    "encoding_name",
    "from_anthropic",
    "from_csv",
    "from_gemini",
    "from_json",
    "from_llamacpp",
    "from_ollama",
    "from_openai",
    "from_openai_responses",
    "open_ledger",
    "parse_response",
    "price_for",
    "report_usage",
    "to_csv",
    "to_json",
    "usd",
]


# Each name is imported from its module when first used (PEP 562): importing one part of the
# package, or the package itself, does not import the rest.
_MODULES: dict[str, tuple[str, ...]] = {
    "powertools.cost._budget": (
        "Alert",
        "Budget",
        "BudgetManager",
        "BudgetStatus",
        "Overrun",
        "Reservation",
    ),
    "powertools.cost._forecast": ("Forecast",),
    "powertools.cost._ledger": ("Ledger", "MemoryLedger", "SyncLedger"),
    "powertools.cost._ledgers": ("open_ledger",),
    "powertools.cost._money": ("Money", "usd"),
    "powertools.cost._normalise": (
        "from_anthropic",
        "from_gemini",
        "from_llamacpp",
        "from_ollama",
        "from_openai",
        "from_openai_responses",
        "parse_response",
    ),
    "powertools.cost._pricebook": ("PriceBook", "cost_of", "price_for"),
    "powertools.cost._pricestore": ("ImportReport", "PriceStore"),
    "powertools.cost._pricing": ("ModelPrice", "PricePeriod", "Rates"),
    "powertools.cost._records": ("CallRecord", "from_csv", "from_json", "to_csv", "to_json"),
    "powertools.cost._report": ("Analytics", "DailyReport"),
    "powertools.cost._span": ("Span", "current_span", "report_usage"),
    "powertools.cost._tokens": (
        "TokenCount",
        "count_message_tokens",
        "count_tokens",
        "encoding_name",
    ),
    "powertools.cost._tracker": ("CostTracker",),
    "powertools.cost._usage": ("Usage",),
    "powertools.cost.errors": (
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
    ),
}
_LAZY = {name: module for module, names in _MODULES.items() for name in names}

if not _TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later look-ups skip __getattr__
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

"""powertools.cost — token counting, pricing, cost ledgers and budgets."""

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
from powertools.cost._tokens import TokenCount, count_message_tokens, count_tokens, encoding_name
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

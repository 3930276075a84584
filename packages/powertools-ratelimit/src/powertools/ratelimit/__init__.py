"""powertools.ratelimit — request and token limits, priority queues and quotas."""

from powertools.ratelimit._decorator import rate_limit
from powertools.ratelimit._gcra import CellStats
from powertools.ratelimit._headers import HeaderReading, parse_duration, parse_rate_limit_headers
from powertools.ratelimit._limiter import RateLimiter
from powertools.ratelimit._limits import Cost, Limit
from powertools.ratelimit._providers import ProviderLimits, load_provider_limits
from powertools.ratelimit._quota import QuotaManager, QuotaStats
from powertools.ratelimit._reservation import Reservation
from powertools.ratelimit._scheduler import PRIORITY_WEIGHTS
from powertools.ratelimit._store import MemoryStore, Store, open_store
from powertools.ratelimit._wrapping import report_usage, usage_of
from powertools.ratelimit.errors import (
    BlockingCallError,
    ConfigurationError,
    MissingExtraError,
    RateLimiterError,
    RateLimitTimeout,
    RequestTooLargeError,
    StoreError,
    StoreUnavailableError,
)

__version__ = "0.1.0"

__all__ = [
    "PRIORITY_WEIGHTS",
    "BlockingCallError",
    "CellStats",
    "ConfigurationError",
    "Cost",
    "HeaderReading",
    "Limit",
    "MemoryStore",
    "MissingExtraError",
    "ProviderLimits",
    "QuotaManager",
    "QuotaStats",
    "RateLimitTimeout",
    "RateLimiter",
    "RateLimiterError",
    "RequestTooLargeError",
    "Reservation",
    "Store",
    "StoreError",
    "StoreUnavailableError",
    "__version__",
    "load_provider_limits",
    "open_store",
    "parse_duration",
    "parse_rate_limit_headers",
    "rate_limit",
    "report_usage",
    "usage_of",
]

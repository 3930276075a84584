"""powertools.retry — retries, error classification, circuit breakers and fallbacks.

>>> import powertools.retry
>>> powertools.retry.retry is powertools.retry.ErrorHandler.retry
True
"""

import sys as _sys
import types as _types
from typing import Any as _Any

from powertools.retry._breaker import CircuitBreaker, circuit_breaker
from powertools.retry._breaker_state import Admission, CircuitState
from powertools.retry._budget import RetryBudget
from powertools.retry._classify import Classifier, ErrorCategory, category_of_status, classify
from powertools.retry._deadline import deadline, remaining_deadline
from powertools.retry._fallback import FallbackChain, fallback
from powertools.retry._handler import ErrorHandler
from powertools.retry._policy import RetryEvent
from powertools.retry._retry import Attempt, retry, retrying
from powertools.retry._retry_after import retry_after
from powertools.retry.errors import (
    CircuitOpenError,
    MissingExtraError,
    PermanentError,
    RateLimitError,
    RetryConfigError,
    RetryError,
    TimeoutError,
    TransientError,
)

__version__ = "0.1.0"

__all__ = [
    "Admission",
    "Attempt",
    "CircuitBreaker",
    "CircuitOpenError",
    "CircuitState",
    "Classifier",
    "ErrorCategory",
    "ErrorHandler",
    "FallbackChain",
    "MissingExtraError",
    "PermanentError",
    "RateLimitError",
    "RetryBudget",
    "RetryConfigError",
    "RetryError",
    "RetryEvent",
    "TimeoutError",
    "TransientError",
    "__version__",
    "category_of_status",
    "circuit_breaker",
    "classify",
    "deadline",
    "fallback",
    "remaining_deadline",
    "retry",
    "retry_after",
    "retrying",
]


class _CallableModule(_types.ModuleType):
    """Importing ``powertools.retry`` binds this module as ``powertools.retry``, shadowing the
    function of the same name; calling the module calls :func:`retry` (decision 0100)."""

    def __call__(self, *args: _Any, **kwargs: _Any) -> _Any:
        return retry(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule

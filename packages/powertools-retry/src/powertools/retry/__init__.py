"""powertools.retry — retries, error classification, circuit breakers and fallbacks.

>>> import powertools.retry
>>> powertools.retry.retry is powertools.retry.ErrorHandler.retry
True
"""

import sys as _sys
import types as _types
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

if _TYPE_CHECKING:
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


# Each name is imported from its module when first used (PEP 562): importing one part of the
# package, or the package itself, does not import the rest.
_MODULES: dict[str, tuple[str, ...]] = {
    "powertools.retry._breaker": ("CircuitBreaker", "circuit_breaker"),
    "powertools.retry._breaker_state": ("Admission", "CircuitState"),
    "powertools.retry._budget": ("RetryBudget",),
    "powertools.retry._classify": ("Classifier", "ErrorCategory", "category_of_status", "classify"),
    "powertools.retry._deadline": ("deadline", "remaining_deadline"),
    "powertools.retry._fallback": ("FallbackChain", "fallback"),
    "powertools.retry._handler": ("ErrorHandler",),
    "powertools.retry._policy": ("RetryEvent",),
    "powertools.retry._retry": ("Attempt", "retry", "retrying"),
    "powertools.retry._retry_after": ("retry_after",),
    "powertools.retry.errors": (
        "CircuitOpenError",
        "MissingExtraError",
        "PermanentError",
        "RateLimitError",
        "RetryConfigError",
        "RetryError",
        "TimeoutError",
        "TransientError",
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


class _CallableModule(_types.ModuleType):
    """Importing ``powertools.retry`` binds this module as ``powertools.retry``, shadowing the
    function of the same name; calling the module calls :func:`retry` (decision 0100)."""

    def __call__(self, *args: _Any, **kwargs: _Any) -> _Any:
        from powertools.retry._retry import retry

        return retry(*args, **kwargs)


_sys.modules[__name__].__class__ = _CallableModule

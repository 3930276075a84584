"""``ErrorHandler``: the spec's namespace for retries, error types and classification.

>>> from powertools.retry import ErrorHandler
>>> issubclass(ErrorHandler.RateLimitError, ErrorHandler.TransientError)
True
>>> ErrorHandler.classify(ErrorHandler.PermanentError("bad request")).value
'permanent'
"""

from __future__ import annotations

from powertools.retry import errors
from powertools.retry._breaker import CircuitBreaker, circuit_breaker
from powertools.retry._classify import ErrorCategory, classify, default_classifier
from powertools.retry._fallback import fallback
from powertools.retry._retry import retry, retrying
from powertools.retry._retry_after import retry_after

__all__ = ["ErrorHandler"]


class ErrorHandler:
    """One place for everything about failures: ``ErrorHandler.retry(...)`` is :func:`retry`."""

    retry = staticmethod(retry)
    retrying = retrying
    circuit_breaker = staticmethod(circuit_breaker)
    CircuitBreaker = CircuitBreaker
    fallback = staticmethod(fallback)
    classify = staticmethod(classify)
    register = staticmethod(default_classifier.register)
    retry_after = staticmethod(retry_after)
    Category = ErrorCategory

    Error = errors.RetryError
    TransientError = errors.TransientError
    PermanentError = errors.PermanentError
    RateLimitError = errors.RateLimitError
    TimeoutError = errors.TimeoutError
    CircuitOpenError = errors.CircuitOpenError

    def __init__(self) -> None:
        raise TypeError("ErrorHandler is a namespace; use ErrorHandler.retry(...) directly")

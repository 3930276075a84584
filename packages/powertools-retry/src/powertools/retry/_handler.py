"""``ErrorHandler``: the spec's namespace for retries, error types and classification.

>>> from powertools.retry import ErrorHandler
>>> issubclass(ErrorHandler.RateLimitError, ErrorHandler.TransientError)
True
>>> ErrorHandler.classify(ErrorHandler.PermanentError("bad request")).value
'permanent'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, Unpack, overload

from powertools.retry import errors
from powertools.retry._breaker import CircuitBreaker, circuit_breaker
from powertools.retry._classify import ErrorCategory, classify, default_classifier
from powertools.retry._fallback import fallback
from powertools.retry._policy import RetryOptions
from powertools.retry._retry import retry as _retry
from powertools.retry._retry import retrying
from powertools.retry._retry_after import retry_after

__all__ = ["ErrorHandler"]

P = ParamSpec("P")
R = TypeVar("R")


class ErrorHandler:
    """One place for everything about failures: ``ErrorHandler.retry(...)`` is :func:`retry`."""

    if TYPE_CHECKING:  # mypy loses a generic overloaded function wrapped in staticmethod

        @overload
        @staticmethod
        def retry(fn: Callable[P, R], /) -> Callable[P, R]: ...
        @overload
        @staticmethod
        def retry(
            fn: None = None, /, **options: Unpack[RetryOptions]
        ) -> Callable[[Callable[P, R]], Callable[P, R]]: ...
        @staticmethod
        def retry(fn: Callable[P, R] | None = None, /, **options: Unpack[RetryOptions]) -> Any: ...
    else:
        retry = staticmethod(_retry)
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

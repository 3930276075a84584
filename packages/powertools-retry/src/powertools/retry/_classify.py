"""Error classification: which failures are worth retrying, and which are not.

>>> from powertools.retry import classify, ErrorCategory
>>> classify(ConnectionResetError())
<ErrorCategory.TRANSIENT: 'transient'>
>>> class Boom(Exception):
...     status_code = 429
>>> classify(Boom()) is ErrorCategory.RATE_LIMIT
True
"""

from __future__ import annotations

import asyncio
import enum
import threading
from collections.abc import Callable

from powertools.retry.errors import (
    CircuitOpenError,
    PermanentError,
    RateLimitError,
    RetryConfigError,
    TimeoutError,
    TransientError,
)

__all__ = [
    "Classifier",
    "ErrorCategory",
    "Rule",
    "classify",
    "default_classifier",
    "is_auth_error",
    "is_rate_limit",
    "status_of",
]


class ErrorCategory(enum.StrEnum):
    """What a failure means for a retry.

    ``CIRCUIT_OPEN`` is a :class:`~powertools.retry.CircuitOpenError`: a breaker refused the
    call without making it, which means "go elsewhere now", so ``retry`` does not retry it unless
    ``retry_on`` asks for it.
    """

    TRANSIENT = "transient"
    RATE_LIMIT = "rate_limit"
    TIMEOUT = "timeout"
    PERMANENT = "permanent"
    CIRCUIT_OPEN = "circuit_open"
    UNKNOWN = "unknown"

    @property
    def retryable(self) -> bool:
        """Whether ``retry`` tries again after an error of this category by default."""
        return self is not ErrorCategory.PERMANENT and self is not ErrorCategory.CIRCUIT_OPEN


Rule = Callable[[BaseException], "ErrorCategory | None"]
"""A custom rule: return a category, or ``None`` to let the next rule decide."""

_TRANSIENT_STATUS = frozenset({409, 425, 500, 502, 503})
_TIMEOUT_STATUS = frozenset({408, 504})
_RATE_LIMIT_STATUS = frozenset({429, 529})
# 409 is transient: OpenAI and Azure document it as a lock/conflict that clears on retry.

_AUTH_STATUS = frozenset({401, 403})
_EXHAUSTED = "RESOURCE_EXHAUSTED"  # Google's (Gemini, gRPC) name for a rate limit

_OWN_TYPES: tuple[tuple[type[BaseException], ErrorCategory], ...] = (
    (CircuitOpenError, ErrorCategory.CIRCUIT_OPEN),
    (RateLimitError, ErrorCategory.RATE_LIMIT),
    (TimeoutError, ErrorCategory.TIMEOUT),
    (TransientError, ErrorCategory.TRANSIENT),
    (PermanentError, ErrorCategory.PERMANENT),
)


def status_of(exc: BaseException) -> int | None:
    """The HTTP status an exception carries (``status_code``, ``status`` or ``response``), if any.

    >>> class E(Exception):
    ...     status = 503
    >>> status_of(E())
    503
    """
    for holder in (exc, getattr(exc, "response", None)):
        for attribute in ("status_code", "status"):
            value = getattr(holder, attribute, None)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
    return None


def is_rate_limit(exc: BaseException) -> bool:
    """Whether ``exc`` is a rate limit: a :class:`RateLimitError`, an HTTP 429 or 529, or a
    ``RESOURCE_EXHAUSTED`` status (Gemini, gRPC).

    >>> class E(Exception):
    ...     status_code = 529
    >>> is_rate_limit(E()), is_rate_limit(ConnectionError())
    (True, False)
    """
    if isinstance(exc, RateLimitError) or status_of(exc) in _RATE_LIMIT_STATUS:
        return True
    return getattr(exc, "status", None) == _EXHAUSTED or _EXHAUSTED in _text(exc)


def _text(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # a broken __str__ must not break classification
        return ""


def is_auth_error(exc: BaseException) -> bool:
    """Whether ``exc`` carries HTTP 401 or 403: a missing, wrong or unauthorised key."""
    return status_of(exc) in _AUTH_STATUS


def category_of_status(status: int) -> ErrorCategory:
    """The category of an HTTP status code: 429/529 rate limit, 408/504 timeout, 5xx transient."""
    if status in _RATE_LIMIT_STATUS:
        return ErrorCategory.RATE_LIMIT
    if status in _TIMEOUT_STATUS:
        return ErrorCategory.TIMEOUT
    if status in _TRANSIENT_STATUS or status >= 500:
        return ErrorCategory.TRANSIENT
    if 400 <= status < 500:
        return ErrorCategory.PERMANENT
    return ErrorCategory.UNKNOWN


def _by_httpx_type(exc: BaseException) -> ErrorCategory | None:
    # httpx is optional: recognise its exceptions by name instead of importing it.
    names = {cls.__name__ for cls in type(exc).__mro__ if cls.__module__.startswith("httpx")}
    if not names:
        return None
    if "TimeoutException" in names:
        return ErrorCategory.TIMEOUT
    if "TransportError" in names:
        return ErrorCategory.TRANSIENT
    return None


def _by_builtin_type(exc: BaseException) -> ErrorCategory:
    if isinstance(exc, asyncio.TimeoutError):
        return ErrorCategory.TIMEOUT
    if is_rate_limit(exc):
        return ErrorCategory.RATE_LIMIT
    if isinstance(exc, ConnectionError):
        return ErrorCategory.TRANSIENT
    return ErrorCategory.UNKNOWN


def _builtin(exc: BaseException) -> ErrorCategory:
    for own, category in _OWN_TYPES:
        if isinstance(exc, own):
            return category
    status = status_of(exc)
    if status is not None:
        return category_of_status(status)
    by_httpx = _by_httpx_type(exc)
    return _by_builtin_type(exc) if by_httpx is None else by_httpx


class Classifier:
    """Custom rules, newest first, in front of the built-in ones.

    >>> c = Classifier()
    >>> c.register(KeyError, ErrorCategory.PERMANENT)
    >>> c.classify(KeyError("x"))
    <ErrorCategory.PERMANENT: 'permanent'>
    """

    def __init__(self) -> None:
        self._rules: tuple[Rule, ...] = ()
        self._lock = threading.Lock()

    def register(
        self, rule: Rule | type[BaseException], category: ErrorCategory | None = None
    ) -> None:
        """Add a rule: an exception type with its category, or a callable returning one."""
        if isinstance(rule, type):
            if category is None:
                raise RetryConfigError(
                    f"register({rule.__name__}) needs a category, e.g. ErrorCategory.PERMANENT"
                )
            rule = _type_rule(rule, ErrorCategory(category))
        elif not callable(rule):
            raise RetryConfigError(f"rule {rule!r} is neither an exception type nor a callable")
        with self._lock:
            self._rules = (rule, *self._rules)

    def unregister(self, rule: Rule) -> None:
        """Remove a callable rule added with :meth:`register`."""
        with self._lock:
            self._rules = tuple(r for r in self._rules if r is not rule)

    def classify(self, exc: BaseException) -> ErrorCategory:
        """The category of ``exc``: the first custom rule that answers, else the built-ins."""
        for rule in self._rules:
            category = rule(exc)
            if category is not None:
                return ErrorCategory(category)
        return _builtin(exc)


def _type_rule(exc_type: type[BaseException], category: ErrorCategory) -> Rule:
    def rule(exc: BaseException) -> ErrorCategory | None:
        return category if isinstance(exc, exc_type) else None

    return rule


default_classifier = Classifier()


def classify(exc: BaseException) -> ErrorCategory:
    """The category of ``exc`` under the process-wide rules (see :class:`Classifier`)."""
    return default_classifier.classify(exc)

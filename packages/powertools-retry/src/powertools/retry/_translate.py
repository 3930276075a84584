"""The one place where third-party errors become this package's own, when ``retry`` gives up.

An error that carries an HTTP status (an httpx ``HTTPStatusError``, an SDK's error) is raised
as the matching :mod:`powertools.retry.errors` class, so the spec's
``except ErrorHandler.RateLimitError`` catches a real 429; the original is its ``__cause__``.

>>> from powertools.retry import ErrorCategory, RateLimitError
>>> class HTTPStatusError(Exception):
...     status_code = 429
>>> error = give_up_error(HTTPStatusError(), ErrorCategory.RATE_LIMIT, 120.0, 1)
>>> isinstance(error, RateLimitError), error.retry_after, error.status_code
(True, 120.0, 429)
>>> type(error.__cause__).__name__
'HTTPStatusError'
"""

from __future__ import annotations

from powertools.retry._classify import ErrorCategory, status_of
from powertools.retry.errors import (
    PermanentError,
    RateLimitError,
    RetryError,
    TimeoutError,
    TransientError,
)

__all__ = ["give_up_error"]

_KINDS: dict[ErrorCategory, type[RetryError]] = {
    ErrorCategory.RATE_LIMIT: RateLimitError,
    ErrorCategory.TIMEOUT: TimeoutError,
    ErrorCategory.TRANSIENT: TransientError,
    ErrorCategory.PERMANENT: PermanentError,
}

_ADVICE: dict[ErrorCategory, str] = {
    ErrorCategory.RATE_LIMIT: "slow down, wait, or use another provider",
    ErrorCategory.TIMEOUT: "raise the timeout or the deadline, or use another provider",
    ErrorCategory.TRANSIENT: "try again later or use another provider",
    ErrorCategory.PERMANENT: "the request itself is wrong (check the key, the model and the "
    "arguments): retrying will not help",
}


def _message(exc: BaseException, status: int, attempts: int, wait: float | None) -> str:
    # Not str(exc): an httpx error's text holds the URL, and a URL may hold an API key.
    reason = getattr(getattr(exc, "response", None), "reason_phrase", "") or ""
    told = "" if wait is None else f"; the server asked to wait {wait:g}s"
    noun = "attempt" if attempts == 1 else "attempts"
    return (
        f"HTTP {status} {reason}".rstrip()
        + f" ({type(exc).__module__}.{type(exc).__qualname__}) after {attempts} {noun}{told}"
    )


def give_up_error(
    exc: BaseException, category: ErrorCategory, wait: float | None, attempts: int
) -> BaseException:
    """The error to raise when a retry gives up on ``exc``: ``exc`` itself, or ours in its place.

    Only errors that carry an HTTP status are replaced; this package's own errors, builtin
    ones (``ConnectionError``, ``TimeoutError``) and unclassified ones are raised unchanged.
    """
    status = status_of(exc)
    kind = _KINDS.get(category)
    if status is None or kind is None or isinstance(exc, RetryError):
        return exc
    message = f"{_message(exc, status, attempts, wait)}: {_ADVICE[category]}"
    error = RateLimitError(message, retry_after=wait) if kind is RateLimitError else kind(message)
    error.status_code = status
    error.response = getattr(exc, "response", None)
    error.retry_after = wait
    error.__cause__ = exc
    return error

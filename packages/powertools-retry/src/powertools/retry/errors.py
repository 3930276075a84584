"""Every public exception of ``powertools.retry``.

The hierarchy::

    RetryError                    base of every error this package raises
    ├── TransientError            worth retrying: the same call may succeed later
    │   ├── RateLimitError        the provider asked us to slow down (``retry_after``)
    │   └── TimeoutError          the call took too long (also a builtin ``TimeoutError``)
    ├── PermanentError            never retried: the same call will fail the same way
    ├── CircuitOpenError          a circuit breaker refused the call (``retry_after``)
    ├── MissingExtraError         an optional backend needs an extra that is not installed
    └── RetryConfigError          a bad argument (also a ``ValueError``)

When ``retry`` gives up on a third-party error that carries an HTTP status (an httpx
``HTTPStatusError``, an SDK's error), it raises the matching error above instead, with the
original as ``__cause__`` and its ``status_code``, ``response`` and ``retry_after`` copied, so
``except RateLimitError`` catches a real 429 and ``except PermanentError`` a real 401.

Raise the classified errors from your own code to tell ``retry`` what to do:

>>> from powertools.retry.errors import RateLimitError
>>> err = RateLimitError("slow down", retry_after=2.5)
>>> err.retry_after
2.5
"""

from __future__ import annotations

import builtins

__all__ = [
    "CircuitOpenError",
    "PermanentError",
    "RateLimitError",
    "RetryConfigError",
    "RetryError",
    "TimeoutError",
    "TransientError",
]


class RetryError(Exception):
    """Base class of every error raised by ``powertools.retry``.

    Its area: retries, error classification, circuit breakers and fallbacks. An error that
    ``retry`` raised in place of a third-party one keeps that error's HTTP ``status_code`` and
    ``response`` (``None`` otherwise) and has it as ``__cause__``.
    """

    status_code: int | None = None
    response: object = None
    retry_after: float | None = None


class TransientError(RetryError):
    """A failure that may go away if the same call is made again later.

    ``retry_after`` is the server's requested wait in seconds, when it gave one.
    """


class PermanentError(RetryError):
    """A failure that will repeat on every attempt; ``retry`` never retries it."""


class RateLimitError(TransientError):
    """The service asked us to slow down; ``retry_after`` seconds is its requested wait."""

    def __init__(self, message: str = "rate limited", *, retry_after: float | None = None) -> None:
        super().__init__(message)
        if retry_after is not None and retry_after < 0:
            raise RetryConfigError(
                f"retry_after={retry_after!r} is negative; pass seconds >= 0 or None"
            )
        self.retry_after = retry_after


class TimeoutError(TransientError, builtins.TimeoutError):
    """The call took too long; catchable as the builtin ``TimeoutError`` too."""


class CircuitOpenError(RetryError):
    """A circuit breaker is open and refused the call without making it.

    ``retry_after`` is how many seconds remain until the breaker lets a probe call through.
    """

    def __init__(self, name: str, retry_after: float) -> None:
        super().__init__(
            f"circuit {name!r} is open; it admits a probe call in {retry_after:.3f}s "
            "(use a fallback, or wait and call again)"
        )
        self.name = name
        self.retry_after = max(0.0, retry_after)


class RetryConfigError(RetryError, ValueError):
    """An argument is invalid; the message names it and says what to pass instead."""


class MissingExtraError(RetryError, ImportError):
    """An optional backend's dependency is missing; the message names the extra to install.

    >>> str(MissingExtraError("the Redis breaker storage", "redis"))
    "the Redis breaker storage needs an optional dependency: pip install 'powertools-retry[redis]'"
    """

    def __init__(self, thing: str, extra: str) -> None:
        super().__init__(
            f"{thing} needs an optional dependency: pip install 'powertools-retry[{extra}]'"
        )
        self.extra = extra

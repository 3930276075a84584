"""Every public exception of ``powertools.ratelimit``.

The hierarchy::

    RateLimiterError            base of every error this package raises
    ├── ConfigurationError      a limit, priority or store was given a value it cannot take
    ├── RequestTooLargeError    a request asks for more than a limit can ever grant
    ├── RateLimitTimeout        the capacity comes after the caller's timeout (``retry_after``)
    ├── BlockingCallError       a blocking acquire would wait on the event loop's own thread
    ├── MissingExtraError       an optional backend needs an extra that is not installed
    ├── StoreError              the shared store refused an operation (not an outage)
    └── StoreUnavailableError   the shared store is unreachable and the policy is "closed"
"""

from __future__ import annotations

__all__ = [
    "BlockingCallError",
    "ConfigurationError",
    "MissingExtraError",
    "RateLimitTimeout",
    "RateLimiterError",
    "RequestTooLargeError",
    "StoreError",
    "StoreUnavailableError",
]


class RateLimiterError(Exception):
    """Base class of every error raised by ``powertools.ratelimit``.

    Its area: request and token limits, priority queues and quotas.
    """


class ConfigurationError(RateLimiterError, ValueError):
    """A limit, priority, store URL or configuration file holds a value that cannot work."""


class RequestTooLargeError(RateLimiterError, ValueError):
    """A request costs more than a limit's whole period allows, so it could never be admitted."""


class RateLimitTimeout(RateLimiterError, TimeoutError):  # noqa: N818 - reads as the event
    """The caller's timeout passes before the limiter has capacity; nothing was taken.

    Raised as soon as that is known: at once when the limits (or the shared store) say the
    capacity comes later than the timeout. ``retry_after`` is then the seconds until it
    comes, as far as the limiter knows (``None`` when it cannot know, e.g. a full
    concurrency limit).

    >>> RateLimitTimeout("no room in time", retry_after=30.0).retry_after
    30.0
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BlockingCallError(RateLimiterError, RuntimeError):
    """A blocking acquire would have to wait on the thread that runs the event loop.

    The loop serves the async waiters queued ahead of it, so waiting there would never end:
    use the async form (``async with limiter.acquire()``) or run the blocking code in a thread.
    """


class StoreError(RateLimiterError):
    """The shared store answered, but refused the operation (a wrong key type, a script error).

    Not an outage: the failure policy does not apply, and the message names the key and cause.
    """


class StoreUnavailableError(RateLimiterError, ConnectionError):
    """The shared store cannot be reached and its failure policy is ``"closed"``."""


class MissingExtraError(RateLimiterError, ImportError):
    """An optional backend's dependency is missing; the message names the extra to install.

    >>> str(MissingExtraError("the Redis store", "redis"))
    "the Redis store needs an optional dependency: pip install 'powertools-ratelimit[redis]'"
    """

    def __init__(self, thing: str, extra: str) -> None:
        super().__init__(
            f"{thing} needs an optional dependency: pip install 'powertools-ratelimit[{extra}]'"
        )
        self.extra = extra

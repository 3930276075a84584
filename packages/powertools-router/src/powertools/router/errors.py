"""Every public exception of ``powertools.router``.

The hierarchy::

    RouterError                 base of every error this package raises
    ├── ConfigurationError      a bad argument or environment value: says which and how to fix it
    ├── UnknownProviderError    no provider registered under that name
    ├── NoCandidateError        no model can serve the request (each one's reason listed)
    ├── AllProvidersFailedError every attempt of one route failed (each attempt listed)
    └── ProviderError           one failed call to one provider (HTTP status, category, wait)
        └── StreamInterruptedError   a stream that failed after output reached the caller

A route that no budget can fit raises ``powertools.cost.BudgetExceededError`` (also exported
by ``powertools.router`` too), before anything is spent.

A :class:`ProviderError` carries what a router needs to decide what to do next: the
``powertools.retry`` :class:`~powertools.retry.ErrorCategory`, the server's ``retry_after`` in
seconds, the HTTP ``status_code`` and the provider's ``request_id``. It never carries an API key.

>>> from powertools.retry import ErrorCategory, classify
>>> e = ProviderError("slow down", provider="openai", model="gpt-4o", status_code=429,
...                   retry_after=2.0)
>>> e.category is ErrorCategory.RATE_LIMIT, classify(e) is ErrorCategory.RATE_LIMIT
(True, True)
>>> str(e)
'openai gpt-4o: HTTP 429 (rate_limit, retry after 2.0 s): slow down'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from powertools.retry import ErrorCategory, category_of_status

__all__ = [
    "AllProvidersFailedError",
    "ConfigurationError",
    "NoCandidateError",
    "ProviderError",
    "RouterError",
    "StreamInterruptedError",
    "UnknownProviderError",
]


class RouterError(Exception):
    """Base class of every error raised by ``powertools.router``."""


class ConfigurationError(RouterError, ValueError):
    """A bad argument or environment value; the message names it and says how to fix it."""


class UnknownProviderError(RouterError, LookupError):
    """No provider is registered under the name asked for."""


class ProviderError(RouterError):
    """One call to one provider failed.

    ``category`` defaults to what the HTTP status means (429/529 rate limit, 408/504 timeout,
    5xx transient, other 4xx permanent) and is ``transient`` for a failure with no status (a
    dropped connection). ``delivered_chars`` is how much streamed text had already reached the
    caller when a stream failed: 0 means failing over is still invisible to the caller.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        model: str = "",
        status_code: int | None = None,
        category: ErrorCategory | None = None,
        retry_after: float | None = None,
        request_id: str | None = None,
        delivered_chars: int = 0,
    ) -> None:
        if category is None:
            category = (
                category_of_status(status_code)
                if status_code is not None
                else ErrorCategory.TRANSIENT
            )
        self.message = message
        self.provider = provider
        self.model = model
        self.status_code = status_code
        self.category = category
        self.retry_after = retry_after
        self.request_id = request_id
        self.delivered_chars = delivered_chars
        super().__init__(self._describe())

    def _describe(self) -> str:
        where = f"{self.provider} {self.model}".strip()
        status = f"HTTP {self.status_code} " if self.status_code is not None else ""
        wait = f", retry after {self.retry_after} s" if self.retry_after is not None else ""
        rid = f" [request {self.request_id}]" if self.request_id else ""
        return f"{where}: {status}({self.category.value}{wait}): {self.message}{rid}"

    def __reduce__(self) -> tuple[object, ...]:  # keep the fields across pickling
        return (_rebuild, (type(self), self.message, self.__dict__.copy()))


class StreamInterruptedError(ProviderError):
    """A stream failed after ``delivered_chars`` of text had reached the caller.

    ``partial_text`` is the text the caller already received (set by the router).
    """

    partial_text: str = ""


class NoCandidateError(RouterError):
    """No candidate model can serve the request; ``reasons`` maps each one to why."""

    def __init__(self, reasons: dict[str, str]) -> None:
        self.reasons = reasons
        listed = "; ".join(f"{k}: {v}" for k, v in reasons.items()) or "no models are configured"
        super().__init__(
            f"no model can serve this request ({listed}). Relax the request (max_tokens, "
            "tools, max_cost_usd), or add a provider that can."
        )


class AllProvidersFailedError(RouterError):
    """Every attempt of one route failed; ``attempts`` lists each with its reason."""

    def __init__(self, attempts: Sequence[Attempt], why: str = "") -> None:
        self.attempts = tuple(attempts)
        lines = "\n".join(
            f"  {a.provider}/{a.model}: {a.outcome} ({a.category or '-'}) {a.reason}"
            for a in self.attempts
        )
        head = f"every candidate failed{': ' + why if why else ''}"
        super().__init__(f"{head}\n{lines}" if lines else head)


if TYPE_CHECKING:
    from powertools.router._result import Attempt


def _rebuild(cls: type[ProviderError], message: str, state: dict[str, object]) -> ProviderError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error._describe())
    return error

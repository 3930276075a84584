"""A failed HTTP answer to one :class:`~powertools.router.errors.ProviderError`, the wait included.

The category comes from the status (``powertools.retry``'s table, through ``ProviderError``);
the wait from, in order: a body's ``RetryInfo.retryDelay`` (Gemini), ``Retry-After`` /
``retry-after-ms``, and on a rate limit the reset header of the limit that ran out
(``x-ratelimit-reset-tokens`` when ``x-ratelimit-remaining-tokens`` is 0, Anthropic's
``anthropic-ratelimit-*-reset`` likewise). Every value is parsed by ``powertools.retry``.

>>> e = error_from_response("openai", "gpt-4o", 429, {
...     "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s",
...     "x-ratelimit-remaining-tokens": "9000", "x-ratelimit-reset-tokens": "6m0s"},
...     b'{"error": {"message": "Rate limit reached", "type": "requests"}}')
>>> e.retry_after, e.category.value, e.message
(2.0, 'rate_limit', 'Rate limit reached (requests)')
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from powertools.retry import ErrorCategory, retry_after
from powertools.retry._classify import category_of_status
from powertools.retry._retry_after import parse_duration
from powertools.router.errors import ProviderError

__all__ = ["error_from_response", "rate_limit_headers", "wait_of"]

Explain = Callable[[int, str, str], str]

_LIMITS = (
    "x-ratelimit-{}-requests",
    "x-ratelimit-{}-tokens",
    "anthropic-ratelimit-requests-{}",
    "anthropic-ratelimit-tokens-{}",
    "anthropic-ratelimit-input-tokens-{}",
    "anthropic-ratelimit-output-tokens-{}",
)


class _Headers(Exception):  # noqa: N818 - what powertools.retry.retry_after reads
    """Headers in the shape ``powertools.retry.retry_after`` reads them."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        super().__init__()
        self.headers = headers


def _seconds(value: str) -> float | None:
    # powertools.retry reads a number, a duration ("6m0s"), an HTTP date or an ISO timestamp.
    return retry_after(_Headers({"retry-after": value}))


def rate_limit_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The rate-limit and retry headers of an answer, names lower-cased."""
    found = {}
    for name, value in headers.items():
        low = name.lower()
        if "ratelimit" in low or low.startswith("retry-after"):
            found[low] = value
    return found


def _reset_wait(headers: Mapping[str, str]) -> float | None:
    resets: list[float] = []
    exhausted: list[float] = []
    for pattern in _LIMITS:
        reset = headers.get(pattern.format("reset"))
        wait = _seconds(reset) if reset is not None else None
        if wait is None:
            continue
        resets.append(wait)
        if headers.get(pattern.format("remaining")) == "0":
            exhausted.append(wait)
    chosen = exhausted or resets
    return max(chosen) if chosen else None


def wait_of(headers: Mapping[str, str], category: ErrorCategory) -> float | None:
    """Seconds the answer asks to wait: ``Retry-After`` first, then (rate limits) resets."""
    explicit = retry_after(
        _Headers({k: v for k, v in headers.items() if k.lower().startswith("retry-after")})
    )
    if explicit is not None or category is not ErrorCategory.RATE_LIMIT:
        return explicit
    return _reset_wait(headers)


def _retry_delay(details: Any) -> float | None:
    for item in details if isinstance(details, list) else ():
        if isinstance(item, dict) and str(item.get("@type", "")).endswith("RetryInfo"):
            delay = item.get("retryDelay")
            return parse_duration(delay) if isinstance(delay, str) else None
    return None


def _message_of(data: Any) -> tuple[str, float | None]:
    """The message of an error body (OpenAI, Anthropic, Gemini, Ollama, llama.cpp shapes)."""
    error = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(error, str):
        return error, None
    if not isinstance(error, dict):
        return json.dumps(data)[:300], None
    message = str(error.get("message") or error.get("detail") or json.dumps(error)[:300])
    kind = error.get("type") or error.get("status") or error.get("code")
    if kind and str(kind) not in message:
        message = f"{message} ({kind})"
    return message, _retry_delay(error.get("details"))


def _parse_body(body: bytes) -> tuple[str, float | None]:
    text = body.decode("utf-8", "replace").strip()
    if not text:
        return "the server sent no error body", None
    try:
        return _message_of(json.loads(text))
    except ValueError:
        return text[:300], None


def error_from_response(
    provider: str,
    model: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    explain: Explain | None = None,
    request_id: str | None = None,
) -> ProviderError:
    """The error for an HTTP answer with status ``status`` and body ``body``."""
    message, body_wait = _parse_body(body)
    if explain is not None:
        message = explain(status, message, model)
    category = category_of_status(status)
    wait = body_wait if body_wait is not None else wait_of(headers, category)
    return ProviderError(
        message,
        provider=provider,
        model=model,
        status_code=status,
        category=category,
        retry_after=wait,
        request_id=request_id,
    )

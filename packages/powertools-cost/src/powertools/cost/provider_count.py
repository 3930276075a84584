"""Exact prompt token counts from the providers' own count-tokens endpoints.

Claude and Gemini tokenizers are not public; their endpoints count exactly, for free, but over
the network. Needs ``pip install 'powertools-cost[httpx]'`` and the provider's API key
(``ANTHROPIC_API_KEY``; ``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

try:
    import httpx
except ImportError as exc:
    from powertools.cost.errors import MissingExtraError

    raise MissingExtraError("powertools.cost.provider_count", "httpx") from exc

from powertools.cost._tokens import TokenCount, count_message_tokens, observe_estimate, provider_of
from powertools.cost.errors import CostError

__all__ = ["acount_tokens_exact"]

_ANTHROPIC = "https://api.anthropic.com"
_GEMINI = "https://generativelanguage.googleapis.com"


def _key(*names: str) -> str:
    for name in names:
        if value := os.environ.get(name):
            return value
    raise CostError(f"exact counts need an API key: set {' or '.join(names)}")


def _gemini_contents(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    roles = {"assistant": "model"}
    return [
        {
            "role": roles.get(str(m.get("role")), "user"),
            "parts": [{"text": str(m.get("content", ""))}],
        }
        for m in messages
    ]


async def _post(client: httpx.AsyncClient, url: str, headers: dict[str, str], body: Any) -> Any:
    response = await client.post(url, headers=headers, json=body)
    if not response.is_success:  # the key is in the headers: never echo the request
        raise CostError(
            f"the count-tokens endpoint answered {response.status_code}; check the key and model"
        )
    return response.json()


async def acount_tokens_exact(
    messages: Sequence[Mapping[str, Any]],
    model: str,
    *,
    client: httpx.AsyncClient | None = None,
    system: str | None = None,
) -> TokenCount:
    """The exact prompt tokens of ``messages`` for a Claude or Gemini model (OpenAI: tiktoken).

    The local estimate's calibration learns from each exact answer.
    """
    provider = provider_of(model)
    if provider not in {"anthropic", "gemini"}:
        return count_message_tokens(messages, model)
    own = client is None
    http = client or httpx.AsyncClient(timeout=30)
    try:
        if provider == "anthropic":
            base = os.environ.get("ANTHROPIC_BASE_URL", _ANTHROPIC).rstrip("/")
            headers = {"x-api-key": _key("ANTHROPIC_API_KEY"), "anthropic-version": "2023-06-01"}
            body: dict[str, Any] = {"model": model, "messages": list(messages)}
            if system is not None:
                body["system"] = system
            tokens = int(
                (await _post(http, f"{base}/v1/messages/count_tokens", headers, body))[
                    "input_tokens"
                ]
            )
        else:
            base = os.environ.get("GEMINI_BASE_URL", _GEMINI).rstrip("/")
            headers = {"x-goog-api-key": _key("GEMINI_API_KEY", "GOOGLE_API_KEY")}
            url = f"{base}/v1beta/models/{model.rpartition('/')[2]}:countTokens"
            tokens = int(
                (await _post(http, url, headers, {"contents": _gemini_contents(messages)}))[
                    "totalTokens"
                ]
            )
    finally:
        if own:
            await http.aclose()
    observe_estimate(provider, count_message_tokens(messages, model).tokens, tokens)
    return TokenCount(tokens, exact=True, method=f"endpoint:{provider}")

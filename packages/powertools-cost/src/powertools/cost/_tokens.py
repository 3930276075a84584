"""Token counting: exact with tiktoken for OpenAI models, calibrated estimates elsewhere.

tiktoken is imported the first time an OpenAI count is asked for. When its encodings cannot
be loaded (offline, no cache), counts fall back to estimates with one warning.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from powertools.cost.errors import TokenizerUnavailableWarning

__all__ = [
    "Calibration",
    "TokenCount",
    "count_message_tokens",
    "count_tokens",
    "encoding_name",
    "observe_estimate",
    "provider_of",
]

_O200K = ("gpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "o1", "o3", "o4", "chatgpt-4o")
_CL100K = ("gpt-4", "gpt-3.5", "text-embedding-3", "text-embedding-ada")
# Characters per token, measured on English prose against each provider's count endpoint.
_CHARS_PER_TOKEN = {"anthropic": 3.5, "gemini": 4.0, "openai": 4.0, "other": 4.0}


class _Encoding(Protocol):
    def encode(self, text: str, *, disallowed_special: Any = ...) -> list[int]: ...


@dataclass(slots=True, frozen=True)
class TokenCount:
    """A token count and how it was obtained (``exact`` is False for estimates)."""

    tokens: int
    exact: bool
    method: str


def provider_of(model: str) -> str:
    """The provider family of a model name: ``openai``, ``anthropic``, ``gemini`` or ``other``.

    >>> provider_of("claude-sonnet-4-5"), provider_of("openai/gpt-4o")
    ('anthropic', 'openai')
    """
    name = model.lower().rpartition("/")[2]
    if name.startswith("claude"):
        return "anthropic"
    if name.startswith("gemini"):
        return "gemini"
    if encoding_name(name) is not None:
        return "openai"
    return "other"


def encoding_name(model: str) -> str | None:
    """tiktoken's encoding for an OpenAI model, or None for other providers.

    >>> encoding_name("gpt-4o-mini"), encoding_name("gpt-4-0613"), encoding_name("o3")
    ('o200k_base', 'cl100k_base', 'o200k_base')
    """
    name = model.lower().rpartition("/")[2]
    if name.startswith(_O200K):
        return "o200k_base"
    if name.startswith(_CL100K):
        return "cl100k_base"
    return None


class Calibration:
    """Running ratio of reported to estimated tokens per provider (estimates improve)."""

    def __init__(self) -> None:
        self._ratio: dict[str, float] = {}
        self._lock = threading.Lock()

    def ratio(self, provider: str) -> float:
        """The current correction factor for a provider (1.0 before any observation)."""
        return self._ratio.get(provider, 1.0)

    def observe(self, provider: str, estimated: int, actual: int) -> float:
        """Record one call's estimate against the reported count; returns the relative error."""
        if estimated <= 0 or actual <= 0:
            return 0.0
        with self._lock:
            old = self._ratio.get(provider)
            seen = actual / (estimated / (old or 1.0))
            self._ratio[provider] = seen if old is None else 0.9 * old + 0.1 * seen
        return (estimated - actual) / actual


CALIBRATION = Calibration()


def observe_estimate(provider: str, estimated: int, actual: int) -> float:
    """Record an estimate against the reported count in the process-wide calibration."""
    return CALIBRATION.observe(provider, estimated, actual)


_cache: dict[str, _Encoding | None] = {}
_warned = False
_lock = threading.Lock()


def _encoding(name: str) -> _Encoding | None:
    global _warned  # noqa: PLW0603  (warn once per process)
    with _lock:
        if name in _cache:
            return _cache[name]
        try:
            import tiktoken

            found: _Encoding | None = tiktoken.get_encoding(name)
        except Exception as exc:
            found = None
            if not _warned:
                _warned = True
                warnings.warn(
                    f"tiktoken could not load {name} ({type(exc).__name__}); token counts are "
                    "estimates. Set TIKTOKEN_CACHE_DIR to a folder holding the encodings.",
                    TokenizerUnavailableWarning,
                    stacklevel=3,
                )
        _cache[name] = found
        return found


def _estimate(text: str, provider: str) -> TokenCount:
    raw = len(text) / _CHARS_PER_TOKEN[provider] * CALIBRATION.ratio(provider)
    return TokenCount(math.ceil(raw), exact=False, method=f"estimate:{provider}")


def count_tokens(text: str, model: str = "gpt-4o") -> TokenCount:
    """Tokens of ``text`` for ``model``: exact for OpenAI models, else an estimate.

    >>> count_tokens("hello world", "gpt-4o").tokens
    2
    >>> count_tokens("hello world", "claude-haiku-4-5").exact
    False
    """
    name = encoding_name(model)
    encoding = _encoding(name) if name else None
    if encoding is None:
        return _estimate(text, provider_of(model))
    return TokenCount(len(encoding.encode(text, disallowed_special=())), True, f"tiktoken:{name}")


def _function_tokens(tools: Sequence[Mapping[str, Any]], enc: _Encoding, model: str) -> int:
    """The OpenAI cookbook's accounting of function definitions in the prompt."""
    func_init = 7 if encoding_name(model) == "o200k_base" else 10
    total = 0
    for tool in tools:
        function = tool.get("function", tool)
        total += func_init
        description = str(function.get("description", "")).removesuffix(".")
        total += len(enc.encode(f"{function['name']}:{description}"))
        properties = function.get("parameters", {}).get("properties", {})
        if properties:
            total += 3
        for key, spec in properties.items():
            total += 3
            for item in spec.get("enum", ()):
                total += 3 + len(enc.encode(str(item)))
            total -= 3 if spec.get("enum") else 0
            desc = str(spec.get("description", "")).removesuffix(".")
            total += len(enc.encode(f"{key}:{spec.get('type', '')}:{desc}"))
    return total + 12 if tools else 0


def count_message_tokens(
    messages: Sequence[Mapping[str, Any]],
    model: str = "gpt-4o",
    *,
    tools: Sequence[Mapping[str, Any]] | None = None,
) -> TokenCount:
    """Prompt tokens of a chat request, with the per-message overhead (OpenAI cookbook).

    >>> count_message_tokens([{"role": "user", "content": "hello world"}], "gpt-4o").tokens
    9
    """
    name = encoding_name(model)
    enc = _encoding(name) if name else None
    if enc is None:
        text = "".join(str(v) for m in messages for v in m.values())
        est = _estimate(text, provider_of(model))
        return TokenCount(est.tokens + 4 * len(messages), False, est.method)
    total = 3  # every reply is primed with <|start|>assistant<|message|>
    for message in messages:
        total += 3
        for key, value in message.items():
            total += len(enc.encode(value, disallowed_special=())) if isinstance(value, str) else 0
            total += 1 if key == "name" else 0
    total += _function_tokens(tools or (), enc, model)
    return TokenCount(total, True, f"tiktoken:{name}")

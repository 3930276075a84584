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
    "image_tokens",
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
                warnings.warn(_unavailable(name, exc), TokenizerUnavailableWarning, stacklevel=3)
        _cache[name] = found
        return found


def _unavailable(name: str, exc: Exception) -> str:
    """Why counts are estimates: tiktoken missing (say what to install) or its encodings."""
    if isinstance(exc, ImportError):
        # tiktoken is a dependency of the package, so a plain reinstall brings it back
        return (
            f"exact token counts need tiktoken, which is not installed ({exc}): pip install "
            "'powertools-cost' (or pip install tiktoken); until then counts are estimates"
        )
    return (
        f"tiktoken could not load {name} ({type(exc).__name__}); token counts are "
        "estimates. Set TIKTOKEN_CACHE_DIR to a folder holding the encodings."
    )


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


# Image tokens when the image's size is not known: what the provider bills for the largest
# image it takes at its default settings (an upper bound, so holds stay worst cases).
# OpenAI "tile" models: 85 base + 170 per 512 px tile, up to 8 tiles (768 x 2048) at
# detail high/auto, 85 at detail low; gpt-4o-mini: 2,833 + 5,667 per tile; "patch" models:
# up to 1,536 patches of 32 px times a per-model multiplier. Anthropic: about
# width x height / 750, at most ~1,600 for an image at the recommended size. Gemini: 258 per
# 768 px tile; 1,032 assumes up to four tiles.
_TILE = (85, 170)
_TILES = {"gpt-4o-mini": (2833, 5667)}
_PATCH = {"gpt-4.1-mini": 1.62, "gpt-4.1-nano": 2.46, "o4-mini": 1.72, "gpt-5-mini": 1.62}
_PATCH |= {"gpt-5-nano": 2.46}
_IMAGE = {"anthropic": 1600, "gemini": 1032, "other": 1445}
_TEXT_PARTS = frozenset({"text", "input_text", "output_text"})
_IMAGE_PARTS = frozenset({"image_url", "input_image", "image", "inline_data", "inlineData"})
_IMAGE_PARTS |= {"file_data", "fileData", "image_file"}


def image_tokens(model: str, detail: str | None = None) -> int:
    """Tokens of one image of unknown size for ``model`` (see the table above).

    >>> image_tokens("gpt-4o", "low"), image_tokens("gpt-4o"), image_tokens("claude-sonnet-4-5")
    (85, 1445, 1600)
    """
    name = model.lower().rpartition("/")[2]
    provider = provider_of(name)
    if provider != "openai":
        return _IMAGE[provider]
    patch = next((m for p, m in _PATCH.items() if name.startswith(p)), None)
    if patch is not None:
        return math.ceil(1536 * patch) if detail != "low" else math.ceil(64 * patch)
    base, tile = next((t for p, t in _TILES.items() if name.startswith(p)), _TILE)
    return base if detail == "low" else base + 8 * tile


class _MessageCounter:
    """Counts every part of a chat request; ``exact`` falls as soon as anything is estimated."""

    def __init__(self, model: str, enc: _Encoding | None) -> None:
        self.model, self.enc = model, enc
        self.provider = provider_of(model)
        self.exact = enc is not None

    def text(self, text: str) -> int:
        if self.enc is None:
            return _estimate(text, self.provider).tokens
        return len(self.enc.encode(text, disallowed_special=()))

    def other(self, value: Any) -> int:
        """A value with no documented accounting: its JSON text, an estimate."""
        import json

        self.exact = False
        return self.text(value if isinstance(value, str) else json.dumps(value, default=str))

    def message(self, message: Mapping[str, Any]) -> int:
        total = 3 if self.enc is not None else 4
        for key, value in message.items():
            if key in ("content", "parts"):
                total += self.content(value)
            elif key == "tool_calls":
                total += sum(self.tool_call(c) for c in value or ())
            elif isinstance(value, str):
                total += self.text(value) + (1 if key == "name" else 0)
            elif value is not None:
                total += self.other(value)
        return total

    def content(self, value: Any) -> int:
        if isinstance(value, str):
            return self.text(value)
        if value is None:
            return 0
        if isinstance(value, Mapping):
            return self.part(value)
        if isinstance(value, Sequence):
            return sum(self.part(p) if isinstance(p, Mapping) else self.other(p) for p in value)
        return self.other(value)

    def part(self, part: Mapping[str, Any]) -> int:
        self.exact = False  # providers document no per-part overhead
        kind = part.get("type")
        if kind in _TEXT_PARTS or (kind is None and isinstance(part.get("text"), str)):
            return self.text(str(part.get("text", "")))
        if kind in _IMAGE_PARTS or any(k in part for k in _IMAGE_PARTS):
            detail = part.get("detail") or (part.get("image_url") or {}).get("detail")
            return image_tokens(self.model, detail if isinstance(detail, str) else None)
        if kind == "tool_use" or "functionCall" in part or "function_call" in part:
            return self.tool_call(part)
        if kind == "tool_result" or "functionResponse" in part:
            inner = part.get("content", part.get("functionResponse"))
            return self.content(inner) if inner is not None else 0
        return self.other({k: v for k, v in part.items() if k != "type"})

    def tool_call(self, call: Any) -> int:
        """A tool call: its name and its arguments' text (estimated)."""
        if not isinstance(call, Mapping):
            return self.other(call)
        self.exact = False
        function = call.get("function") or call.get("functionCall") or call.get("function_call")
        body = function if isinstance(function, Mapping) else call
        args = body.get("arguments", body.get("input", body.get("args")))
        args_tokens = (
            self.text(args) if isinstance(args, str) else (self.other(args) if args else 0)
        )
        return 3 + self.text(str(body.get("name", ""))) + args_tokens


def count_message_tokens(
    messages: Sequence[Mapping[str, Any]],
    model: str = "gpt-4o",
    *,
    tools: Sequence[Mapping[str, Any]] | None = None,
) -> TokenCount:
    """Prompt tokens of a chat request: every text part, tool call, tool result and image.

    Messages whose content is a plain string are counted exactly for OpenAI models (the
    cookbook's per-message overhead); content parts, tool calls and images have no published
    exact accounting, so a request holding any is counted as well as can be and marked
    ``exact=False``. Images of unknown size count at the provider's largest default image.

    >>> count_message_tokens([{"role": "user", "content": "hello world"}], "gpt-4o").tokens
    9
    >>> count_message_tokens([{"role": "user", "content": [
    ...     {"type": "text", "text": "hello world"},
    ...     {"type": "image_url", "image_url": {"url": "https://x/y.png", "detail": "low"}},
    ... ]}], "gpt-4o")
    TokenCount(tokens=94, exact=False, method='estimate:tiktoken:o200k_base')
    """
    name = encoding_name(model)
    enc = _encoding(name) if name else None
    counter = _MessageCounter(model, enc)
    total = sum(counter.message(m) for m in messages)
    if enc is None:
        return TokenCount(total, False, f"estimate:{provider_of(model)}")
    total += 3  # every reply is primed with <|start|>assistant<|message|>
    total += _function_tokens(tools or (), enc, model)
    method = f"tiktoken:{name}" if counter.exact else f"estimate:tiktoken:{name}"
    return TokenCount(total, counter.exact, method)

"""Named limit sets per provider and model, built in or loaded from TOML, JSON or a mapping.

The built-in sets are conservative starting points (the lowest paid tiers as published in
2025); your account's real limits differ, so load them from config or let the limiter learn
them from response headers (``RateLimiter.observe``). A config file reads::

    [openai]                      # the provider's default
    requests_per_minute = 500
    tokens_per_minute = 200000

    [openai.models."gpt-4o"]      # a model's own limits replace the provider's
    tokens_per_minute = 30000
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from powertools.ratelimit.errors import ConfigurationError

__all__ = ["BUILTIN_PROVIDER_LIMITS", "ProviderLimits", "load_provider_limits"]

LimitSet = dict[str, float]

BUILTIN_PROVIDER_LIMITS: Mapping[str, Mapping[str, Any]] = {
    "openai": {
        "requests_per_minute": 500,
        "tokens_per_minute": 200_000,
        "models": {"gpt-4o": {"requests_per_minute": 500, "tokens_per_minute": 30_000}},
    },
    "anthropic": {
        "requests_per_minute": 50,
        "input_tokens_per_minute": 30_000,
        "output_tokens_per_minute": 8_000,
        "models": {
            "claude-3-5-haiku": {
                "requests_per_minute": 50,
                "input_tokens_per_minute": 50_000,
                "output_tokens_per_minute": 10_000,
            }
        },
    },
    "gemini": {"requests_per_minute": 150, "tokens_per_minute": 1_000_000},
    "ollama": {"max_concurrent": 2},
    "llamacpp": {"max_concurrent": 1},
}


class ProviderLimits:
    """Limit sets by provider and model: ``limits_for("openai", "gpt-4o")``.

    >>> ProviderLimits().limits_for("openai", "gpt-4o")
    {'requests_per_minute': 500, 'tokens_per_minute': 30000}
    >>> ProviderLimits({"local": {"max_concurrent": 4}}).limits_for("local")
    {'max_concurrent': 4}
    """

    def __init__(self, config: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        merged: dict[str, dict[str, Any]] = {k: dict(v) for k, v in BUILTIN_PROVIDER_LIMITS.items()}
        for provider, values in (config or {}).items():
            if not isinstance(values, Mapping):
                raise ConfigurationError(
                    f"provider {provider!r}: expected a table of limits, got {values!r}"
                )
            merged[provider] = dict(values)
        self._sets = merged

    @property
    def providers(self) -> list[str]:
        """The providers with a limit set."""
        return sorted(self._sets)

    def limits_for(self, provider: str, model: str | None = None) -> LimitSet:
        """The keywords for ``RateLimiter(**...)`` of ``provider`` (and ``model`` if known)."""
        try:
            table = self._sets[provider]
        except KeyError:
            raise ConfigurationError(
                f"no limits for provider {provider!r}: known are {', '.join(self.providers)};"
                " add it to your limits config"
            ) from None
        models = table.get("models", {})
        chosen = models.get(model, table) if model is not None else table
        return {k: v for k, v in chosen.items() if k != "models"}


def load_provider_limits(source: str | Path | Mapping[str, Mapping[str, Any]]) -> ProviderLimits:
    """Provider limits from a ``.toml`` or ``.json`` file (or a mapping), over the built-ins."""
    if isinstance(source, Mapping):
        return ProviderLimits(source)
    import json  # reading a config file is rare: the parsers load with it
    import tomllib

    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read limits config {path}: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigurationError(f"limits config {path} is not valid: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"limits config {path} must hold a table per provider")
    return ProviderLimits(data)

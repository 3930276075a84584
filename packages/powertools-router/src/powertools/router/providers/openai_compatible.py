"""Any server that speaks OpenAI's chat completions, with presets for the usual ones.

A preset knows its base URL and the variables it reads (``<NAME>_API_KEY`` and
``<NAME>_BASE_URL``); any other server takes ``base_url=`` (or ``OPENAI_COMPATIBLE_BASE_URL``)
and its key from ``api_key=`` or ``OPENAI_COMPATIBLE_API_KEY`` — never ``OPENAI_API_KEY``,
which would send an OpenAI key to another server.

>>> p = OpenAICompatibleProvider(preset="groq", api_key="gsk-test-key-0000")
>>> p.name, p.base_url
('groq', 'https://api.groq.com/openai/v1')
>>> OpenAICompatibleProvider(base_url="http://127.0.0.1:8000/v1").name
'openai-compatible'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from powertools.router._request import Request
from powertools.router._secrets import Secret, secret_from
from powertools.router.errors import ConfigurationError
from powertools.router.providers._http import HTTPProvider
from powertools.router.providers.openai import OpenAIProvider

__all__ = ["PRESETS", "OpenAICompatibleProvider", "Preset"]


@dataclass(slots=True, frozen=True)
class Preset:
    """One known OpenAI-compatible service."""

    base_url: str
    key_variable: str
    base_url_variable: str
    local: bool = False
    key_required: bool = True
    stream_usage_option: bool = True  # accepts stream_options.include_usage


PRESETS: dict[str, Preset] = {
    "vllm": Preset("http://localhost:8000/v1", "VLLM_API_KEY", "VLLM_BASE_URL", True, False),
    "lmstudio": Preset(
        "http://localhost:1234/v1", "LM_STUDIO_API_KEY", "LM_STUDIO_BASE_URL", True, False
    ),
    "openrouter": Preset(
        "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "OPENROUTER_BASE_URL"
    ),
    "groq": Preset("https://api.groq.com/openai/v1", "GROQ_API_KEY", "GROQ_BASE_URL"),
    "together": Preset("https://api.together.xyz/v1", "TOGETHER_API_KEY", "TOGETHER_BASE_URL"),
    "deepseek": Preset("https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", "DEEPSEEK_BASE_URL"),
    "mistral": Preset(
        "https://api.mistral.ai/v1",
        "MISTRAL_API_KEY",
        "MISTRAL_BASE_URL",
        stream_usage_option=False,
    ),
}


def _preset(name: str | None) -> Preset | None:
    if name is None:
        return None
    preset = PRESETS.get(name.lower().replace("-", "").replace(" ", ""))
    if preset is None:
        raise ConfigurationError(
            f"unknown OpenAI-compatible preset {name!r}; known: {', '.join(sorted(PRESETS))}, "
            "or pass base_url= for any other server"
        )
    return preset


class OpenAICompatibleProvider(OpenAIProvider):
    """An OpenAI-compatible server: ``preset=`` one of :data:`PRESETS`, or ``base_url=``."""

    name = "openai-compatible"
    key_variables = ("OPENAI_COMPATIBLE_API_KEY",)
    base_url_variable = "OPENAI_COMPATIBLE_BASE_URL"

    def __init__(
        self,
        *,
        preset: str | None = None,
        base_url: str | None = None,
        api_key: str | Secret | None = None,
        local: bool | None = None,
        **options: Any,
    ) -> None:
        chosen = _preset(preset)
        base_url = base_url or os.environ.get(self.base_url_variable) if not chosen else base_url
        if chosen is None and not base_url:
            raise ConfigurationError(
                "openai-compatible needs base_url= (for example 'http://127.0.0.1:8000/v1') "
                f"or preset= one of {', '.join(sorted(PRESETS))}"
            )
        if chosen is not None:
            self.name = (preset or "").lower()
            self.key_variables = (chosen.key_variable,)
            base_url = base_url or os.environ.get(chosen.base_url_variable) or chosen.base_url
        self._stream_usage = chosen.stream_usage_option if chosen else True
        self.local = chosen.local if local is None and chosen else bool(local)
        key = secret_from(api_key, *self.key_variables)
        if chosen is not None and chosen.key_required and key is None:
            raise ConfigurationError(
                f"{self.name} needs an API key: pass api_key= or set {chosen.key_variable}"
            )
        HTTPProvider.__init__(self, base_url=base_url or "", api_key=key, **options)

    def _reasoning_model(self, model: str) -> bool:
        return False  # OpenAI's model-name rules do not hold on other servers

    def _body(self, request: Request, stream: bool) -> dict[str, Any]:
        body = super()._body(request, stream)
        if request.reasoning_effort and "reasoning_effort" not in request.extra:
            body["reasoning_effort"] = request.reasoning_effort
        if stream and not self._stream_usage:
            body.pop("stream_options", None)
        return body

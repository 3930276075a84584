"""A llama.cpp ``llama-server``: OpenAI-compatible chat, ``/health``, ``/v1/models``, ``/props``.

Reads ``LLAMACPP_BASE_URL`` (default ``http://127.0.0.1:8080``, the server's own default) and
``LLAMACPP_API_KEY`` (the server's ``--api-key``, if it was started with one). Usage and timings
come from the server's ``timings`` (prompt tokens evaluated, reused from the cache, predicted),
so a cached prompt prefix shows up as ``cache_read``. ``/health`` answering 503 while the model
loads is :attr:`~powertools.router.HealthStatus.LOADING`, not down.

>>> LlamaCppProvider(base_url="http://127.0.0.1:8080").local
True
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import Any

import httpx

from powertools.cost import Usage, from_llamacpp
from powertools.router._request import Request, Timings
from powertools.router._secrets import Secret, secret_from
from powertools.router.errors import ProviderError
from powertools.router.providers._base import Capabilities, Health, HealthStatus, ModelInfo
from powertools.router.providers._http import HTTPProvider, describe, timings
from powertools.router.providers.openai import OpenAIProvider

__all__ = ["LlamaCppProvider"]

DEFAULT_BASE_URL = "http://127.0.0.1:8080"


class LlamaCppProvider(OpenAIProvider):
    """One ``llama-server``; ``model`` may be left out (the server serves the model it loaded)."""

    name = "llamacpp"
    local = True
    key_variables = ("LLAMACPP_API_KEY",)
    base_url_variable = "LLAMACPP_BASE_URL"

    def __init__(
        self, *, base_url: str | None = None, api_key: str | Secret | None = None, **options: Any
    ) -> None:
        HTTPProvider.__init__(
            self,
            base_url=base_url or os.environ.get(self.base_url_variable) or DEFAULT_BASE_URL,
            api_key=secret_from(api_key, *self.key_variables),
            **options,
        )

    def _model(self, request: Request) -> str:
        # llama-server answers with the model it loaded whatever the name; keep ours for errors.
        return request.model or self.default_model or "default"

    def _path(self, request: Request, stream: bool) -> str:
        return "/v1/chat/completions"

    def _reasoning_model(self, model: str) -> bool:
        return False

    def _usage(self, data: Mapping[str, Any]) -> Usage:
        if data.get("timings") or data.get("usage"):
            return from_llamacpp(data)
        return Usage()

    def _timings(self, data: Mapping[str, Any], elapsed: Timings, usage: Usage) -> Timings:
        server = data.get("timings") or {}
        prompt_ms = server.get("prompt_ms")
        ttft = elapsed.ttft
        if ttft is None and isinstance(prompt_ms, int | float):
            ttft = prompt_ms / 1000
        tps = server.get("predicted_per_second")
        return timings(elapsed.total, ttft, usage.completion_tokens, tps if tps else None)

    async def health(self) -> Health:
        """``/health``: 200 is ready, 503 is loading the model, anything else is down."""
        client = self._client()  # made before the check is timed
        started = self._clock()
        try:
            async with asyncio.timeout(self.health_timeout):
                response = await client.get(self.base_url + "/health", headers=self._headers())
        except (httpx.HTTPError, TimeoutError, OSError) as exc:
            return Health(HealthStatus.DOWN, self._clock() - started, describe(exc))
        latency = self._clock() - started
        if response.status_code == 200:
            return Health(HealthStatus.OK, latency)
        if response.status_code == 503:
            return Health(HealthStatus.LOADING, latency, "the server is loading its model")
        return Health(HealthStatus.DOWN, latency, f"/health answered HTTP {response.status_code}")

    async def props(self) -> Mapping[str, Any]:
        """The server's ``/props``: context size, slots, model path, modalities."""
        data = await self._get_json("/props")
        if not isinstance(data, dict):
            raise self._fail(f"/props answered {str(data)[:100]!r}, not an object", "")
        return data

    async def models(self) -> list[ModelInfo]:
        """The loaded model from ``/v1/models``, with the context size from ``/props``."""
        data = await self._get_json("/v1/models")
        try:
            props = await self.props()
        except ProviderError:
            props = {}  # an older server without /props: the size stays unknown
        settings = props.get("default_generation_settings") or {}
        n_ctx = settings.get("n_ctx") or props.get("n_ctx")
        vision = bool((props.get("modalities") or {}).get("vision"))
        return [self._info(item, n_ctx, vision) for item in data.get("data") or ()]

    def _info(self, item: Mapping[str, Any], n_ctx: Any, vision: bool) -> ModelInfo:
        meta = item.get("meta") or {}
        size = meta.get("size")
        params = meta.get("n_params")
        return ModelInfo(
            str(item["id"]),
            self.name,
            local=True,
            context_window=int(n_ctx) if isinstance(n_ctx, int) else meta.get("n_ctx_train"),
            capabilities=Capabilities(tools=True, vision=vision, json_schema=True),
            size_bytes=size if isinstance(size, int) else None,
            parameter_count=params if isinstance(params, int) else None,
            loaded=True,
        )

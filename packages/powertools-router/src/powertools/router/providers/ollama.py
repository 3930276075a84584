"""An Ollama server: ``/api/chat`` (NDJSON stream), ``/api/tags``, ``/api/show``, ``/api/ps``.

Reads ``OLLAMA_HOST`` (``host``, ``host:port`` or a URL; default ``127.0.0.1:11434``). Usage is
``prompt_eval_count`` and ``eval_count``; timings come from the server's own durations (the
model load, prompt evaluation and generation). A model that is not pulled fails with the
command that fixes it.

>>> ollama_url("0.0.0.0"), ollama_url("gpu-box:11500"), ollama_url("https://o.example")
('http://127.0.0.1:11434', 'http://gpu-box:11500', 'https://o.example')
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from typing import Any

from powertools.cost import from_ollama
from powertools.retry import ErrorCategory
from powertools.router._request import (
    Chunk,
    FinishReason,
    ImagePart,
    Message,
    Request,
    Response,
    Timings,
    ToolCall,
    ToolResultPart,
)
from powertools.router.errors import ConfigurationError
from powertools.router.providers._base import Capabilities, ModelInfo
from powertools.router.providers._failures import rate_limit_headers
from powertools.router.providers._http import HTTPProvider, StreamAssembler, timings
from powertools.router.providers._streams import NDJSONDecoder

__all__ = ["OllamaProvider", "ollama_url"]

DEFAULT_PORT = 11434
_FINISH = {"stop": FinishReason.STOP, "length": FinishReason.LENGTH}


def ollama_url(host: str | None) -> str:
    """The base URL for an ``OLLAMA_HOST`` value, as the ollama CLI reads it."""
    value = (host or "127.0.0.1").strip().rstrip("/")
    scheme, sep, rest = value.partition("://")
    if not sep:
        scheme, rest = "http", value
    hostname, colon, port = rest.partition(":")
    if hostname in ("", "0.0.0.0"):  # noqa: S104 - a listen address; connect to loopback
        hostname = "127.0.0.1"
    if not colon and scheme == "http":
        port = str(DEFAULT_PORT)
    return f"{scheme}://{hostname}{':' + port if port else ''}"


def _images(message: Message) -> list[str]:
    out = []
    for part in message.parts:
        if not isinstance(part, ImagePart):
            continue
        if part.data is not None:
            out.append(part.data)
        elif part.url and part.url.startswith("data:"):
            out.append(part.url.partition(",")[2])
        else:
            raise ConfigurationError(
                f"ollama takes images as base64 data, not the URL {part.url!r}: download it "
                "and pass ImagePart(data=..., media_type=...)"
            )
    return out


def _message(message: Message) -> list[dict[str, Any]]:
    if message.role == "tool":
        return [
            {"role": "tool", "content": p.content, **({"tool_name": p.name} if p.name else {})}
            for p in message.parts
            if isinstance(p, ToolResultPart)
        ]
    out: dict[str, Any] = {"role": message.role, "content": message.text}
    images = _images(message)
    if images:
        out["images"] = images
    if message.tool_calls:
        out["tool_calls"] = [
            {"function": {"name": c.name, "arguments": c.parsed_arguments()}}
            for c in message.tool_calls
        ]
    return [out]


def _options(request: Request, defaults: Mapping[str, Any]) -> dict[str, Any]:
    options = dict(defaults)
    for key, value in (
        ("num_predict", request.max_tokens),
        ("temperature", request.temperature),
        ("top_p", request.top_p),
        ("seed", request.seed),
    ):
        if value is not None:
            options[key] = value
    if request.stop:
        options["stop"] = list(request.stop)
    options.update(request.extra.get("options") or {})
    return options


def _format(request: Request) -> Any:
    fmt = request.response_format
    if fmt is None or fmt.type == "text":
        return None
    return dict(fmt.schema) if fmt.schema is not None else "json"


def _calls(message: Mapping[str, Any], start: int) -> list[ToolCall]:
    return [
        ToolCall(
            str(c.get("id") or f"call_{start + i}"),
            str(c["function"]["name"]),
            json.dumps(c["function"].get("arguments") or {}),
        )
        for i, c in enumerate(message.get("tool_calls") or ())
    ]


class _Stream(StreamAssembler):
    def __init__(self, provider: OllamaProvider, model: str) -> None:
        self._p = provider
        self._model = model
        self._lines = NDJSONDecoder()
        self._text: list[str] = []
        self._thinking: list[str] = []
        self._calls: list[ToolCall] = []
        self._final: Mapping[str, Any] | None = None

    def feed(self, data: bytes) -> list[Chunk]:
        return [c for item in self._lines.feed(data) if (c := self._item(item))]

    def close(self) -> list[Chunk]:
        return [c for item in self._lines.close() if (c := self._item(item))]

    def _item(self, item: Mapping[str, Any]) -> Chunk | None:
        if "error" in item:
            raise self._p._fail(
                f"error in the stream: {item['error']}", self._model, delivered=self.delivered
            )
        message = item.get("message") or {}
        if message.get("tool_calls"):
            self._calls += _calls(message, len(self._calls))
        if item.get("done"):
            self._final = item
        text, thinking = message.get("content") or "", message.get("thinking") or ""
        if not text and not thinking:
            return None
        self._text.append(text)
        self._thinking.append(thinking)
        return Chunk(text=text, reasoning=thinking)

    def finish(self, headers: Mapping[str, str], elapsed: Timings) -> Response:
        if self._final is None:
            raise self._p._fail(
                'the stream ended without its final "done": true line',
                self._model,
                category=ErrorCategory.TRANSIENT,
                delivered=self.delivered,
            )
        return self._p._response(
            self._final,
            "".join(self._text),
            "".join(self._thinking),
            tuple(self._calls),
            elapsed,
        )


class OllamaProvider(HTTPProvider):
    """One Ollama server; ``keep_alive`` and ``num_ctx`` apply to every call unless overridden."""

    name = "ollama"
    local = True
    connect_hint = "is `ollama serve` running there? OLLAMA_HOST chooses the server"
    request_id_header = "x-request-id"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        keep_alive: str | int | None = None,
        num_ctx: int | None = None,
        **options: Any,
    ) -> None:
        super().__init__(base_url=base_url or ollama_url(os.environ.get("OLLAMA_HOST")), **options)
        self.keep_alive = keep_alive
        self._defaults = {"num_ctx": num_ctx} if num_ctx else {}

    def _path(self, request: Request, stream: bool) -> str:
        return "/api/chat"

    def _health_path(self) -> str:
        return "/api/version"

    def _explain(self, status: int, message: str, model: str) -> str:
        if status == 404 and "not found" in message:
            return f"{message}; run `ollama pull {model}` on the server, then call again"
        return message

    def _body(self, request: Request, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self._model(request),
            "messages": [m for message in request.messages for m in _message(message)],
            "stream": stream,
        }
        if request.tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": dict(t.parameters),
                    },
                }
                for t in request.tools
            ]
        fmt = _format(request)
        if fmt is not None:
            body["format"] = fmt
        options = _options(request, self._defaults)
        if options:
            body["options"] = options
        if self.keep_alive is not None:
            body["keep_alive"] = self.keep_alive
        if request.thinking_budget or request.reasoning_effort:
            body["think"] = True
        body.update({k: v for k, v in request.extra.items() if k != "options"})
        return body

    def _response(
        self,
        data: Mapping[str, Any],
        text: str,
        thinking: str,
        calls: tuple[ToolCall, ...],
        elapsed: Timings,
    ) -> Response:
        usage = from_ollama(data)
        ns = 1e-9
        ttft = elapsed.ttft
        if ttft is None and "prompt_eval_duration" in data:
            ttft = (data.get("load_duration", 0) + data["prompt_eval_duration"]) * ns
        eval_ns = data.get("eval_duration") or 0
        tps = usage.output / (eval_ns * ns) if eval_ns and usage.output else None
        finish = _FINISH.get(data.get("done_reason") or "stop", FinishReason.STOP)
        return Response(
            text=text,
            provider=self.name,
            model=str(data.get("model") or ""),
            usage=usage,
            finish_reason=FinishReason.TOOL_CALLS if calls else finish,
            tool_calls=calls,
            headers=rate_limit_headers({}),
            timings=timings(elapsed.total, ttft, usage.output, tps),
            reasoning=thinking,
        )

    def _parse(
        self, data: Any, headers: Mapping[str, str], elapsed: float, request: Request, model: str
    ) -> Response:
        if "error" in data:
            raise self._fail(f"error in the answer: {data['error']}", model)
        if not data.get("done"):
            raise self._fail(
                f'an answer without "done": true: {json.dumps(data)[:200]}',
                model,
                category=ErrorCategory.TRANSIENT,
            )
        message = data.get("message") or {}
        return self._response(
            data,
            message.get("content") or "",
            message.get("thinking") or "",
            tuple(_calls(message, 0)),
            Timings(elapsed),
        )

    def _assembler(self, request: Request, model: str) -> StreamAssembler:
        return _Stream(self, model)

    async def loaded(self) -> set[str]:
        """The models in memory now (``/api/ps``); a model not in it pays a cold start."""
        data = await self._get_json("/api/ps")
        return {str(m.get("name") or m.get("model")) for m in data.get("models") or ()}

    async def show(self, model: str) -> Mapping[str, Any]:
        """``/api/show`` for one model: its ``model_info`` and ``capabilities``."""
        attempt = self._attempt(model, self.health_timeout * 5)
        http = self._build("POST", "/api/show", {"model": model})
        data = self._json_of(await self._exchange(http, attempt), model)
        return data if isinstance(data, dict) else {}

    async def models(self) -> list[ModelInfo]:
        """Every pulled model (``/api/tags``), with context length, capabilities and load state."""
        tags = await self._get_json("/api/tags")
        names = [str(m.get("name") or m.get("model")) for m in tags.get("models") or ()]
        shown, loaded = await asyncio.gather(
            asyncio.gather(*(self.show(n) for n in names), return_exceptions=True),
            self.loaded(),
        )
        return [
            self._info(tag, show if isinstance(show, Mapping) else {}, loaded)
            for tag, show in zip(tags.get("models") or (), shown, strict=True)
        ]

    def _info(self, tag: Mapping[str, Any], show: Mapping[str, Any], loaded: set[str]) -> ModelInfo:
        name = str(tag.get("name") or tag.get("model"))
        details = tag.get("details") or {}
        info = show.get("model_info") or {}
        context = next((v for k, v in info.items() if k.endswith(".context_length")), None)
        caps = set(show.get("capabilities") or ())
        return ModelInfo(
            name,
            self.name,
            local=True,
            context_window=context if isinstance(context, int) else None,
            capabilities=Capabilities(
                tools="tools" in caps,
                vision="vision" in caps,
                json_schema=True,
                reasoning="thinking" in caps,
            ),
            size_bytes=tag.get("size"),
            parameter_count=info.get("general.parameter_count") or _params(details),
            quantization=details.get("quantization_level"),
            family=details.get("family"),
            loaded=name in loaded,
        )


def _params(details: Mapping[str, Any]) -> int | None:
    """``"8.0B"`` or ``"270M"`` in ``details.parameter_size`` as a count."""
    text = str(details.get("parameter_size") or "").strip().upper()
    scale = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}.get(text[-1:] if text else "")
    try:
        return int(float(text[:-1]) * scale) if scale else None
    except ValueError:
        return None

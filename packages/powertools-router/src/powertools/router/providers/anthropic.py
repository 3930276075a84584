"""Anthropic's Messages API.

Reads ``ANTHROPIC_API_KEY`` and ``ANTHROPIC_BASE_URL``; sends ``anthropic-version``. The system
prompt goes in its own field; tool calls are ``tool_use`` blocks and their results
``tool_result`` blocks in a user turn; ``thinking_budget`` (or ``reasoning_effort``) turns on
extended thinking. A ``json_schema`` response format is a forced tool whose input is the
answer, the way Anthropic documents JSON output. 529 "overloaded" is a rate limit.

>>> from powertools.router import Request
>>> body = AnthropicProvider(api_key="sk-ant-test-0000")._body(
...     Request.of("hi", system="Be brief.", model="claude-sonnet-4-5"), stream=False)
>>> body["system"], body["messages"], body["max_tokens"]
('Be brief.', [{'role': 'user', 'content': [{'type': 'text', 'text': 'hi'}]}], 4096)
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from powertools.cost import from_anthropic
from powertools.retry import ErrorCategory
from powertools.router._request import (
    Chunk,
    FinishReason,
    ImagePart,
    Message,
    Request,
    Response,
    TextPart,
    Timings,
    ToolCall,
)
from powertools.router._secrets import Secret, secret_from
from powertools.router.errors import ProviderError
from powertools.router.providers._base import Capabilities, ModelInfo
from powertools.router.providers._failures import rate_limit_headers
from powertools.router.providers._http import HTTPProvider, StreamAssembler, timings
from powertools.router.providers._streams import SSEDecoder

__all__ = ["AnthropicProvider"]

VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096  # the API requires max_tokens; this is every current model's floor
_EFFORT_BUDGET = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 24576}
_FINISH = {
    "end_turn": FinishReason.STOP,
    "stop_sequence": FinishReason.STOP,
    "pause_turn": FinishReason.STOP,
    "max_tokens": FinishReason.LENGTH,
    "tool_use": FinishReason.TOOL_CALLS,
    "refusal": FinishReason.CONTENT_FILTER,
}
# The status each documented error type comes with, for errors inside a 200 stream.
_ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}


def _image(part: ImagePart) -> dict[str, Any]:
    if part.data is not None:
        source = {"type": "base64", "media_type": part.media_type, "data": part.data}
    elif part.url and part.url.startswith("data:"):
        header, _, data = part.url.partition(",")
        source = {"type": "base64", "media_type": header[5:].split(";")[0], "data": data}
    else:
        source = {"type": "url", "url": part.url}
    return {"type": "image", "source": source}


def _block(part: Any) -> dict[str, Any]:
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, ImagePart):
        return _image(part)
    result = {"type": "tool_result", "tool_use_id": part.tool_call_id, "content": part.content}
    if part.is_error:
        result["is_error"] = True
    return result


def _blocks(message: Message) -> list[dict[str, Any]]:
    blocks = [_block(p) for p in message.parts]
    blocks += [
        {"type": "tool_use", "id": c.id, "name": c.name, "input": c.parsed_arguments()}
        for c in message.tool_calls
    ]
    return blocks


def _messages(request: Request) -> list[dict[str, Any]]:
    """Turns in Anthropic's shape; tool results become user turns, and same-role turns merge."""
    out: list[dict[str, Any]] = []
    for message in request.messages:
        if message.role == "system":
            continue
        role = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message)
        if out and out[-1]["role"] == role:
            out[-1]["content"].extend(blocks)
        else:
            out.append({"role": role, "content": blocks})
    return out


def _tool_choice(choice: str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(choice, Mapping):
        name = (choice.get("function") or choice).get("name")
        return {"type": "tool", "name": name}
    return {"auto": {"type": "auto"}, "none": {"type": "none"}, "required": {"type": "any"}}.get(
        choice, {"type": "tool", "name": choice}
    )


def _thinking(request: Request) -> dict[str, Any] | None:
    budget = request.thinking_budget
    if budget is None and request.reasoning_effort:
        budget = _EFFORT_BUDGET[request.reasoning_effort]
    return {"type": "enabled", "budget_tokens": budget} if budget else None


def _options(request: Request, body: dict[str, Any]) -> None:
    if request.system:
        body["system"] = request.system
    for key, value in (("temperature", request.temperature), ("top_p", request.top_p)):
        if value is not None:
            body[key] = value
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    thinking = _thinking(request)
    if thinking:
        body["thinking"] = thinking
        body["max_tokens"] = max(body["max_tokens"], thinking["budget_tokens"] + 1024)


def _tools(request: Request, body: dict[str, Any]) -> None:
    """Tools and tool choice, the forced answer tool of a JSON response format included."""
    tools = [
        {"name": t.name, "description": t.description, "input_schema": dict(t.parameters)}
        for t in request.tools
    ]
    fmt = request.response_format
    forced = _forced(request)
    if fmt is not None and forced is not None:
        schema = dict(fmt.schema) if fmt.schema else {"type": "object"}
        tools.append({"name": forced, "description": "Give the answer.", "input_schema": schema})
        body["tool_choice"] = {"type": "tool", "name": forced}
    elif request.tool_choice is not None:
        body["tool_choice"] = _tool_choice(request.tool_choice)
    if tools:
        body["tools"] = tools


def _forced(request: Request) -> str | None:
    fmt = request.response_format
    return fmt.name if fmt is not None and fmt.type != "text" else None


class _Blocks:
    """Content blocks (whole or streamed) to text, thinking and tool calls."""

    def __init__(self, forced: str | None) -> None:
        self.forced = forced
        self.text: list[str] = []
        self.thinking: list[str] = []
        self.calls: list[ToolCall] = []

    def add(self, block: Mapping[str, Any], arguments: str | None = None) -> str:
        kind = block.get("type")
        if kind == "text":
            self.text.append(block.get("text") or "")
        elif kind == "thinking":
            self.thinking.append(block.get("thinking") or "")
        elif kind == "tool_use":
            args = arguments if arguments is not None else json.dumps(block.get("input") or {})
            if block.get("name") == self.forced:
                self.text.append(args)  # the JSON answer, through the forced tool
                return args
            self.calls.append(ToolCall(str(block["id"]), str(block["name"]), args))
        return ""


class _Stream(StreamAssembler):
    def __init__(self, provider: AnthropicProvider, model: str, forced: str | None) -> None:
        self._p = provider
        self._model = model
        self._sse = SSEDecoder()
        self._blocks = _Blocks(forced)
        self._open: dict[int, tuple[Mapping[str, Any], list[str]]] = {}
        self._message: dict[str, Any] = {}
        self._usage: dict[str, Any] = {}
        self._stopped = False

    def feed(self, data: bytes) -> list[Chunk]:
        return [c for e in self._sse.feed(data) if (c := self._event(e.event, e.json()))]

    def close(self) -> list[Chunk]:
        return [c for e in self._sse.close() if (c := self._event(e.event, e.json()))]

    def _event(self, kind: str, data: Mapping[str, Any]) -> Chunk | None:
        kind = data.get("type", kind)
        if kind == "message_start":
            self._message = dict(data.get("message") or {})
            self._usage.update(self._message.get("usage") or {})
        elif kind == "content_block_start":
            self._open[int(data["index"])] = (data.get("content_block") or {}, [])
        elif kind == "content_block_delta":
            return self._delta(int(data["index"]), data.get("delta") or {})
        elif kind == "content_block_stop":
            block, parts = self._open.pop(int(data["index"]), ({}, []))
            return self._close_block(block, parts)
        elif kind == "message_delta":
            self._message.update(data.get("delta") or {})
            self._usage.update(data.get("usage") or {})
        elif kind == "message_stop":
            self._stopped = True
        elif kind == "error":
            raise self._p._stream_error(data, self._model, self.delivered)
        return None

    def _delta(self, index: int, delta: Mapping[str, Any]) -> Chunk | None:
        _, parts = self._open.get(index, ({}, []))
        kind = delta.get("type")
        if kind == "text_delta":
            parts.append(delta.get("text") or "")
            return Chunk(text=parts[-1])
        if kind == "thinking_delta":
            parts.append(delta.get("thinking") or "")
            return Chunk(reasoning=parts[-1])
        if kind == "input_json_delta":
            parts.append(delta.get("partial_json") or "")
        return None

    def _close_block(self, block: Mapping[str, Any], parts: list[str]) -> Chunk | None:
        kind = block.get("type")
        if kind == "tool_use":
            answer = self._blocks.add(block, "".join(parts) or "{}")
            return Chunk(text=answer) if answer else None
        key = "thinking" if kind == "thinking" else "text"
        self._blocks.add({"type": kind, key: block.get(key, "") + "".join(parts)})
        return None

    def finish(self, headers: Mapping[str, str], elapsed: Timings) -> Response:
        if not self._stopped:
            raise self._p._fail(
                "the stream ended without message_stop",
                self._model,
                category=ErrorCategory.TRANSIENT,
                delivered=self.delivered,
            )
        return self._p._response(
            {**self._message, "usage": self._usage}, self._blocks, headers, elapsed, self._model
        )


class AnthropicProvider(HTTPProvider):
    """Anthropic's Messages API over httpx; see the module docstring."""

    name = "anthropic"
    key_variables = ("ANTHROPIC_API_KEY",)
    request_id_header = "request-id"

    def __init__(
        self,
        *,
        api_key: str | Secret | None = None,
        base_url: str | None = None,
        version: str = VERSION,
        **options: Any,
    ) -> None:
        headers = {"anthropic-version": version, **(options.pop("headers", None) or {})}
        super().__init__(
            base_url=base_url
            or os.environ.get("ANTHROPIC_BASE_URL")
            or "https://api.anthropic.com",
            api_key=secret_from(api_key, *self.key_variables),
            headers=headers,
            **options,
        )

    def _auth_headers(self, key: str) -> dict[str, str]:
        return {"x-api-key": key}

    def _path(self, request: Request, stream: bool) -> str:
        return "/v1/messages"

    def _health_path(self) -> str:
        return "/v1/models?limit=1"

    def _body(self, request: Request, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self._model(request),
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
            "messages": _messages(request),
        }
        _options(request, body)
        _tools(request, body)
        if stream:
            body["stream"] = True
        body.update(request.extra)
        return body

    def _response(
        self,
        data: Mapping[str, Any],
        blocks: _Blocks,
        headers: Mapping[str, str],
        elapsed: Timings,
        model: str,
    ) -> Response:
        usage = from_anthropic(data.get("usage") or {})
        stop = data.get("stop_reason")
        finish = _FINISH.get(stop or "", FinishReason.ERROR)
        if finish is FinishReason.TOOL_CALLS and not blocks.calls:
            finish = FinishReason.STOP  # the forced answer tool: a plain answer to the caller
        return Response(
            text="".join(blocks.text),
            provider=self.name,
            model=str(data.get("model") or model),
            usage=usage,
            finish_reason=finish,
            tool_calls=tuple(blocks.calls),
            request_id=headers.get(self.request_id_header) or data.get("id"),
            headers=rate_limit_headers(headers),
            timings=timings(elapsed.total, elapsed.ttft, usage.completion_tokens),
            reasoning="".join(blocks.thinking),
        )

    def _parse(
        self, data: Any, headers: Mapping[str, str], elapsed: float, request: Request, model: str
    ) -> Response:
        if data.get("type") == "error":
            raise self._stream_error(data, model, 0)
        blocks = _Blocks(_forced(request))
        for block in data["content"]:
            blocks.add(block)
        return self._response(data, blocks, headers, Timings(elapsed), model)

    def _assembler(self, request: Request, model: str) -> StreamAssembler:
        return _Stream(self, model, _forced(request))

    def _stream_error(self, data: Mapping[str, Any], model: str, delivered: int) -> ProviderError:
        error = data.get("error") or {}
        kind = str(error.get("type") or "api_error")
        status = _ERROR_STATUS.get(kind, 500)
        return self._fail(
            f"{error.get('message') or kind} ({kind})", model, status=status, delivered=delivered
        )

    async def models(self) -> list[ModelInfo]:
        """The models the key can use (``GET /v1/models``)."""
        data = await self._get_json("/v1/models?limit=1000")
        return [
            ModelInfo(
                str(m["id"]),
                self.name,
                capabilities=Capabilities(tools=True, vision=True, json_schema=True),
            )
            for m in data.get("data") or ()
        ]

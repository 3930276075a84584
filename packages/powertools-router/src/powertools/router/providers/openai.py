"""OpenAI's chat completions API (and the base of every OpenAI-compatible server).

Reads ``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``OPENAI_ORG_ID`` and ``OPENAI_PROJECT_ID``.
Streams with ``stream_options.include_usage`` so the last chunk carries the usage; tool-call
deltas are assembled by index. Reasoning models (the o-series and gpt-5) get
``max_completion_tokens`` and ``reasoning_effort`` and no sampling parameters.

>>> from powertools.router import Request
>>> body = OpenAIProvider(api_key="sk-test-key-0000")._body(
...     Request.of("hi", model="gpt-4o-mini", max_tokens=5), stream=True)
>>> body["max_tokens"], body["stream_options"]
(5, {'include_usage': True})
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from powertools.cost import Usage, from_openai
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
    ToolResultPart,
)
from powertools.router._secrets import Secret, secret_from
from powertools.router.errors import ProviderError
from powertools.router.providers._base import Capabilities, ModelInfo
from powertools.router.providers._failures import rate_limit_headers
from powertools.router.providers._http import HTTPProvider, StreamAssembler, timings
from powertools.router.providers._streams import SSEDecoder, SSEEvent

__all__ = ["ChatStream", "OpenAIProvider", "chat_messages", "finish_reason"]

_REASONING = re.compile(r"^(o\d|gpt-5)")
_FINISH = {
    "stop": FinishReason.STOP,
    "length": FinishReason.LENGTH,
    "tool_calls": FinishReason.TOOL_CALLS,
    "function_call": FinishReason.TOOL_CALLS,
    "content_filter": FinishReason.CONTENT_FILTER,
}


def finish_reason(value: str | None) -> FinishReason:
    """OpenAI's ``finish_reason`` normalised (``None`` and unknown values are an error)."""
    return _FINISH.get(value or "", FinishReason.ERROR)


def _content(message: Message) -> str | list[dict[str, Any]]:
    if isinstance(message.content, str):
        return message.content
    parts: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, TextPart):
            parts.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            url = part.url or f"data:{part.media_type};base64,{part.data}"
            image: dict[str, Any] = {"url": url}
            if part.detail:
                image["detail"] = part.detail
            parts.append({"type": "image_url", "image_url": image})
    return parts


def _one_message(message: Message) -> list[dict[str, Any]]:
    if message.role == "tool":
        return [
            {"role": "tool", "tool_call_id": p.tool_call_id, "content": p.content}
            for p in message.parts
            if isinstance(p, ToolResultPart)
        ]
    out: dict[str, Any] = {"role": message.role, "content": _content(message)}
    if message.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
            for c in message.tool_calls
        ]
        out["content"] = out["content"] or None
    if message.name:
        out["name"] = message.name
    return [out]


def chat_messages(request: Request) -> list[dict[str, Any]]:
    """The request's messages in OpenAI's chat format."""
    return [m for message in request.messages for m in _one_message(message)]


def _tool_choice(choice: str | Mapping[str, Any] | None) -> Any:
    if isinstance(choice, str) and choice not in ("auto", "none", "required"):
        return {"type": "function", "function": {"name": choice}}
    return choice


def _response_format(request: Request) -> dict[str, Any] | None:
    fmt = request.response_format
    if fmt is None or fmt.type == "text":
        return None
    if fmt.type == "json":
        return {"type": "json_object"}
    schema = {"name": fmt.name, "schema": dict(fmt.schema or {}), "strict": fmt.strict}
    return {"type": "json_schema", "json_schema": schema}


def _sampling(request: Request, body: dict[str, Any]) -> None:
    for key, value in (
        ("temperature", request.temperature),
        ("top_p", request.top_p),
        ("seed", request.seed),
    ):
        if value is not None:
            body[key] = value


def _tools(request: Request) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
        }
        for t in request.tools
    ]


def _tool_calls(message: Mapping[str, Any]) -> tuple[ToolCall, ...]:
    return tuple(
        ToolCall(
            str(c.get("id") or f"call_{i}"),
            c["function"]["name"],
            c["function"].get("arguments") or "",
        )
        for i, c in enumerate(message.get("tool_calls") or ())
    )


class ChatStream(StreamAssembler):
    """Chat-completions SSE chunks: text deltas, tool-call deltas by index, the usage chunk."""

    def __init__(self, provider: OpenAIProvider, model: str) -> None:
        self._provider = provider
        self._model = model
        self._sse = SSEDecoder()
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._calls: dict[int, list[str]] = {}  # index -> [id, name, arguments...]
        self._finish: str | None = None
        self._last: Mapping[str, Any] = {}
        self._usage: Mapping[str, Any] | None = None
        self._timings: Mapping[str, Any] | None = None  # llama.cpp's, on its last chunk
        self._done = False

    def feed(self, data: bytes) -> list[Chunk]:
        return self._events(self._sse.feed(data))

    def close(self) -> list[Chunk]:
        return self._events(self._sse.close())

    def _events(self, events: list[SSEEvent]) -> list[Chunk]:
        out: list[Chunk] = []
        for event in events:
            if event.data == "[DONE]":
                self._done = True
                continue
            chunk = self._chunk(event.json())
            if chunk is not None:
                out.append(chunk)
        return out

    def _chunk(self, data: Mapping[str, Any]) -> Chunk | None:
        if "error" in data:
            raise self._provider._mid_stream_error(data, self._model, self.delivered)
        self._last = data
        if "usage" in data or "timings" in data:
            self._extras(data)
        choices = data.get("choices")
        if not choices:
            return None
        choice = choices[0]
        finish = choice.get("finish_reason")
        if finish:
            self._finish = finish
        delta = choice.get("delta")
        if not delta:
            return None
        for call in delta.get("tool_calls") or ():
            self._tool_delta(call)
        text = delta.get("content") or ""
        reasoning = delta.get("reasoning_content") or delta.get("reasoning") or ""
        if not text and not reasoning:
            return None
        self._text.append(text)
        if reasoning:
            self._reasoning.append(reasoning)
        return Chunk(text, reasoning)

    def _extras(self, data: Mapping[str, Any]) -> None:
        """The usage (its own last chunk) and llama.cpp's timings, when a chunk has them."""
        if data.get("usage"):
            self._usage = data["usage"]
        if data.get("timings"):
            self._timings = data["timings"]

    def _tool_delta(self, call: Mapping[str, Any]) -> None:
        slot = self._calls.setdefault(int(call.get("index", 0)), ["", ""])
        if call.get("id"):
            slot[0] = call["id"]
        fn = call.get("function") or {}
        if fn.get("name"):
            slot[1] += fn["name"]
        if fn.get("arguments"):
            slot.append(fn["arguments"])

    def _final(self) -> Mapping[str, Any]:
        final = dict(self._last)
        if self._usage:
            final["usage"] = self._usage
        if self._timings:
            final["timings"] = self._timings
        return final

    def finish(self, headers: Mapping[str, str], elapsed: Timings) -> Response:
        if not self._done:
            raise self._provider._fail(
                "the stream ended without its final event (data: [DONE])",
                self._model,
                category=ErrorCategory.TRANSIENT,
                delivered=self.delivered,
            )
        calls = tuple(
            ToolCall(slot[0] or f"call_{i}", slot[1], "".join(slot[2:]))
            for i, slot in sorted(self._calls.items())
        )
        return self._provider._response(
            text="".join(self._text),
            reasoning="".join(self._reasoning),
            calls=calls,
            finish=self._finish,
            data=self._final(),
            headers=headers,
            elapsed=elapsed,
            model=self._model,
        )


class OpenAIProvider(HTTPProvider):
    """OpenAI chat completions over httpx; see the module docstring for the variables."""

    name = "openai"
    key_variables: tuple[str, ...] = ("OPENAI_API_KEY",)
    key_required = True
    public_url = "https://api.openai.com/v1"
    base_url_variable: str = "OPENAI_BASE_URL"
    default_base_url: ClassVar[str] = "https://api.openai.com/v1"

    def __init__(
        self,
        *,
        api_key: str | Secret | None = None,
        base_url: str | None = None,
        organization: str | None = None,
        project: str | None = None,
        **options: Any,
    ) -> None:
        headers = dict(options.pop("headers", None) or {})
        org = organization or os.environ.get("OPENAI_ORG_ID")
        project = project or os.environ.get("OPENAI_PROJECT_ID")
        if org:
            headers["openai-organization"] = org
        if project:
            headers["openai-project"] = project
        super().__init__(
            base_url=base_url or os.environ.get(self.base_url_variable) or self.default_base_url,
            api_key=secret_from(api_key, *self.key_variables),
            headers=headers,
            **options,
        )

    def _path(self, request: Request, stream: bool) -> str:
        return "/chat/completions"

    def _reasoning_model(self, model: str) -> bool:
        return bool(_REASONING.match(model.rsplit("/", 1)[-1]))

    def _body(self, request: Request, stream: bool) -> dict[str, Any]:
        model = self._model(request)
        body: dict[str, Any] = {"model": model, "messages": chat_messages(request)}
        reasoning = self._reasoning_model(model)
        if request.max_tokens is not None:
            body["max_completion_tokens" if reasoning else "max_tokens"] = request.max_tokens
        if reasoning:
            if request.reasoning_effort:
                body["reasoning_effort"] = request.reasoning_effort
            if request.seed is not None:
                body["seed"] = request.seed
        else:
            _sampling(request, body)
        _shape(request, body)
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        body.update(request.extra)
        return body

    def _usage(self, data: Mapping[str, Any]) -> Usage:
        usage = data.get("usage")
        return from_openai(usage) if usage else Usage()

    def _timings(self, data: Mapping[str, Any], elapsed: Timings, usage: Usage) -> Timings:
        return timings(elapsed.total, elapsed.ttft, usage.completion_tokens)

    def _response(
        self,
        *,
        text: str,
        reasoning: str,
        calls: tuple[ToolCall, ...],
        finish: str | None,
        data: Mapping[str, Any],
        headers: Mapping[str, str],
        elapsed: Timings,
        model: str,
    ) -> Response:
        usage = self._usage(data)
        return Response(
            text=text,
            provider=self.name,
            model=str(data.get("model") or model),
            usage=usage,
            finish_reason=finish_reason(finish),
            tool_calls=calls,
            request_id=headers.get(self.request_id_header) or data.get("id"),
            headers=rate_limit_headers(headers),
            timings=self._timings(data, elapsed, usage),
            reasoning=reasoning,
        )

    def _parse(
        self, data: Any, headers: Mapping[str, str], elapsed: float, request: Request, model: str
    ) -> Response:
        if "error" in data:
            raise self._mid_stream_error(data, model, 0)
        choice = data["choices"][0]
        message = choice.get("message") or {}
        reasoning = message.get("reasoning_content") or message.get("reasoning") or ""
        return self._response(
            text=message.get("content") or "",
            reasoning=reasoning,
            calls=_tool_calls(message),
            finish=choice.get("finish_reason"),
            data=data,
            headers=headers,
            elapsed=Timings(elapsed),
            model=model,
        )

    def _assembler(self, request: Request, model: str) -> StreamAssembler:
        return ChatStream(self, model)

    def _mid_stream_error(
        self, data: Mapping[str, Any], model: str, delivered: int
    ) -> ProviderError:
        error = data.get("error") or {}
        message = str(error.get("message") if isinstance(error, dict) else error)
        code = error.get("code") if isinstance(error, dict) else None
        status = code if isinstance(code, int) and 400 <= code < 600 else None
        return self._fail(
            f"error in the answer: {message}",
            model,
            status=status,
            category=None if status else ErrorCategory.TRANSIENT,
            delivered=delivered,
        )

    async def models(self) -> list[ModelInfo]:
        """Every model id the endpoint lists (``GET /models``)."""
        data = await self._get_json("/models")
        return [self._model_info(item) for item in data.get("data") or ()]

    def _model_info(self, item: Mapping[str, Any]) -> ModelInfo:
        model_id = str(item["id"])
        reasoning = self._reasoning_model(model_id)
        return ModelInfo(
            model_id, self.name, local=self.local, capabilities=Capabilities(reasoning=reasoning)
        )


def _shape(request: Request, body: dict[str, Any]) -> None:
    """The fields that shape the answer: stop sequences, tools and the response format."""
    if request.stop:
        body["stop"] = list(request.stop)
    if request.tools:
        body["tools"] = _tools(request)
    if request.tool_choice is not None:
        body["tool_choice"] = _tool_choice(request.tool_choice)
    fmt = _response_format(request)
    if fmt is not None:
        body["response_format"] = fmt

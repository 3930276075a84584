"""Google's Gemini API: ``generateContent`` and ``streamGenerateContent?alt=sse``.

Reads ``GEMINI_API_KEY`` (or ``GOOGLE_API_KEY``) and ``GEMINI_BASE_URL``. The key travels in the
``x-goog-api-key`` header, never in the URL (URLs end up in proxy and server logs). The system
prompt is ``systemInstruction``; tools are ``functionDeclarations``; a JSON schema response
format is ``responseJsonSchema``; ``thinking_budget`` is ``thinkingConfig.thinkingBudget``.
A 429 ``RESOURCE_EXHAUSTED`` carries its wait in ``RetryInfo.retryDelay``.

>>> from powertools.router import Request
>>> p = GeminiProvider(api_key="AIza-test-key-0000")
>>> body = p._body(Request.of("hi", system="Be brief.", model="gemini-2.5-flash"), False)
>>> body["systemInstruction"], body["contents"]
({'parts': [{'text': 'Be brief.'}]}, [{'role': 'user', 'parts': [{'text': 'hi'}]}])
>>> p._path(Request.of("hi", model="gemini-2.5-flash"), True)
'/models/gemini-2.5-flash:streamGenerateContent?alt=sse'
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from powertools.cost import Usage, from_gemini
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
from powertools.router.providers._base import Capabilities, ModelInfo
from powertools.router.providers._failures import rate_limit_headers
from powertools.router.providers._http import HTTPProvider, StreamAssembler, timings
from powertools.router.providers._streams import SSEDecoder

__all__ = ["GeminiProvider"]

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"
_FILTERED = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"}
_MODES = {"auto": "AUTO", "none": "NONE", "required": "ANY"}


def _finish(reason: str | None, has_calls: bool) -> FinishReason:
    if reason in (None, "STOP", "FINISH_REASON_UNSPECIFIED"):
        return FinishReason.TOOL_CALLS if has_calls else FinishReason.STOP
    if reason == "MAX_TOKENS":
        return FinishReason.LENGTH
    if reason in _FILTERED:
        return FinishReason.CONTENT_FILTER
    return FinishReason.ERROR


def _image(part: ImagePart) -> dict[str, Any]:
    if part.data is not None:
        return {"inlineData": {"mimeType": part.media_type, "data": part.data}}
    url = part.url or ""
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        return {"inlineData": {"mimeType": header[5:].split(";")[0], "data": data}}
    return {"fileData": {"fileUri": url, "mimeType": part.media_type or "image/jpeg"}}


def _result(part: ToolResultPart, names: Mapping[str, str]) -> dict[str, Any]:
    try:
        content = json.loads(part.content)
    except ValueError:
        content = part.content
    response = content if isinstance(content, dict) else {"result": content}
    name = part.name or names.get(part.tool_call_id, part.tool_call_id)
    return {"functionResponse": {"name": name, "response": response}}


def _parts(message: Message, names: Mapping[str, str]) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            parts.append({"text": part.text})
        elif isinstance(part, ImagePart):
            parts.append(_image(part))
        else:
            parts.append(_result(part, names))
    parts += [
        {"functionCall": {"name": c.name, "args": c.parsed_arguments()}} for c in message.tool_calls
    ]
    return parts


def _contents(request: Request) -> list[dict[str, Any]]:
    names = {c.id: c.name for m in request.messages for c in m.tool_calls}
    out: list[dict[str, Any]] = []
    for message in request.messages:
        if message.role == "system":
            continue
        role = "model" if message.role == "assistant" else "user"
        parts = _parts(message, names)
        if out and out[-1]["role"] == role:
            out[-1]["parts"].extend(parts)
        else:
            out.append({"role": role, "parts": parts})
    return out


def _config(request: Request) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for key, value in (
        ("maxOutputTokens", request.max_tokens),
        ("temperature", request.temperature),
        ("topP", request.top_p),
        ("seed", request.seed),
    ):
        if value is not None:
            config[key] = value
    if request.stop:
        config["stopSequences"] = list(request.stop)
    fmt = request.response_format
    if fmt is not None and fmt.type != "text":
        config["responseMimeType"] = "application/json"
        if fmt.schema is not None:
            config["responseJsonSchema"] = dict(fmt.schema)
    if request.thinking_budget is not None:
        config["thinkingConfig"] = {
            "thinkingBudget": request.thinking_budget,
            "includeThoughts": True,
        }
    elif request.reasoning_effort:
        level = "low" if request.reasoning_effort in ("minimal", "low") else "high"
        config["thinkingConfig"] = {"thinkingLevel": level, "includeThoughts": True}
    return config


def _tool_config(choice: str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(choice, Mapping):
        name = (choice.get("function") or choice).get("name")
        return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [name]}}
    if choice in _MODES:
        return {"functionCallingConfig": {"mode": _MODES[choice]}}
    return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [choice]}}


class _Answer:
    """Candidates' parts, whole or streamed, to text, thoughts and function calls."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.thoughts: list[str] = []
        self.calls: list[ToolCall] = []
        self.finish: str | None = None
        self.last: Mapping[str, Any] = {}
        self.usage: Mapping[str, Any] | None = None

    def add(self, data: Mapping[str, Any]) -> Chunk | None:
        self.last = data
        if data.get("usageMetadata"):
            self.usage = data["usageMetadata"]
        candidates = data.get("candidates") or ()
        if not candidates:
            if (data.get("promptFeedback") or {}).get("blockReason"):
                self.finish = "PROHIBITED_CONTENT"
            return None
        candidate = candidates[0]
        self.finish = candidate.get("finishReason") or self.finish
        text: list[str] = []
        thought: list[str] = []
        for part in (candidate.get("content") or {}).get("parts") or ():
            if "functionCall" in part:
                call = part["functionCall"]
                call_id = str(call.get("id") or f"call_{len(self.calls)}")
                arguments = json.dumps(call.get("args") or {})
                self.calls.append(ToolCall(call_id, str(call["name"]), arguments))
            elif "text" in part:
                (thought if part.get("thought") else text).append(part["text"])
        if not text and not thought:
            return None
        self.text += text
        self.thoughts += thought
        return Chunk("".join(text), "".join(thought))


class _Stream(StreamAssembler):
    def __init__(self, provider: GeminiProvider, model: str) -> None:
        self._p = provider
        self._model = model
        self._sse = SSEDecoder()
        self._answer = _Answer()

    def feed(self, data: bytes) -> list[Chunk]:
        return self._events(self._sse.feed(data))

    def close(self) -> list[Chunk]:
        return self._events(self._sse.close())

    def _events(self, events: list[Any]) -> list[Chunk]:
        out = []
        for event in events:
            data = event.json()
            if "error" in data:
                error = data["error"]
                status = error.get("code") if isinstance(error.get("code"), int) else None
                raise self._p._fail(
                    f"error in the stream: {error.get('message')} ({error.get('status')})",
                    self._model,
                    status=status,
                    delivered=self.delivered,
                )
            chunk = self._answer.add(data)
            if chunk is not None:
                out.append(chunk)
        return out

    def finish(self, headers: Mapping[str, str], elapsed: Timings) -> Response:
        if self._answer.finish is None:
            raise self._p._fail(
                "the stream ended without a finishReason",
                self._model,
                category=ErrorCategory.TRANSIENT,
                delivered=self.delivered,
            )
        return self._p._response(self._answer, headers, elapsed, self._model)


class GeminiProvider(HTTPProvider):
    """The Gemini API over httpx; see the module docstring."""

    name = "gemini"
    key_variables = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    key_required = True
    public_url = "https://generativelanguage.googleapis.com/v1beta"
    request_id_header = "x-goog-request-id"

    def __init__(
        self, *, api_key: str | Secret | None = None, base_url: str | None = None, **options: Any
    ) -> None:
        super().__init__(
            base_url=base_url or os.environ.get("GEMINI_BASE_URL") or DEFAULT_BASE_URL,
            api_key=secret_from(api_key, *self.key_variables),
            **options,
        )

    def _auth_headers(self, key: str) -> dict[str, str]:
        return {"x-goog-api-key": key}

    def _model(self, request: Request) -> str:
        return super()._model(request).removeprefix("models/")

    def _path(self, request: Request, stream: bool) -> str:
        model = self._model(request)
        if stream:
            return f"/models/{model}:streamGenerateContent?alt=sse"
        return f"/models/{model}:generateContent"

    def _body(self, request: Request, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"contents": _contents(request)}
        if request.system:
            body["systemInstruction"] = {"parts": [{"text": request.system}]}
        config = _config(request)
        if config:
            body["generationConfig"] = config
        if request.tools:
            declarations = [
                {"name": t.name, "description": t.description, "parameters": dict(t.parameters)}
                for t in request.tools
            ]
            body["tools"] = [{"functionDeclarations": declarations}]
        if request.tool_choice is not None:
            body["toolConfig"] = _tool_config(request.tool_choice)
        body.update(request.extra)
        return body

    def _response(
        self, answer: _Answer, headers: Mapping[str, str], elapsed: Timings, model: str
    ) -> Response:
        usage = from_gemini(answer.usage) if answer.usage else Usage()
        return Response(
            text="".join(answer.text),
            provider=self.name,
            model=str(answer.last.get("modelVersion") or model),
            usage=usage,
            finish_reason=_finish(answer.finish, bool(answer.calls)),
            tool_calls=tuple(answer.calls),
            request_id=headers.get(self.request_id_header) or answer.last.get("responseId"),
            headers=rate_limit_headers(headers),
            timings=timings(elapsed.total, elapsed.ttft, usage.completion_tokens),
            reasoning="".join(answer.thoughts),
        )

    def _parse(
        self, data: Any, headers: Mapping[str, str], elapsed: float, request: Request, model: str
    ) -> Response:
        answer = _Answer()
        answer.add(data)
        if answer.finish is None and not answer.text and not answer.calls:
            raise self._fail(
                f"an answer with no candidates and no block reason: {json.dumps(data)[:200]}",
                model,
                category=ErrorCategory.TRANSIENT,
            )
        return self._response(answer, headers, Timings(elapsed), model)

    def _assembler(self, request: Request, model: str) -> StreamAssembler:
        return _Stream(self, model)

    async def models(self) -> list[ModelInfo]:
        """The models that can generate content (``GET /models``), with their token limits."""
        data = await self._get_json("/models?pageSize=1000")
        return [
            ModelInfo(
                str(m["name"]).removeprefix("models/"),
                self.name,
                context_window=m.get("inputTokenLimit"),
                max_output=m.get("outputTokenLimit"),
                capabilities=Capabilities(
                    tools=True, vision=True, json_schema=True, reasoning=bool(m.get("thinking"))
                ),
            )
            for m in data.get("models") or ()
            if "generateContent" in (m.get("supportedGenerationMethods") or ("generateContent",))
        ]

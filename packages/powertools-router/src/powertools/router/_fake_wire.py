"""The fake server's answers, in each family's wire format as its public API reference shows.

Pure functions from a parsed request body to a JSON answer, a list of stream frames, or an
error; :mod:`powertools.router.testing` serves them over HTTP.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["Answer", "Wire", "error_body", "rate_limit_headers"]

_WORDS = re.compile(r"\S+\s*")


@dataclass(slots=True, frozen=True)
class Answer:
    """What the fake model says: text, tool calls (name, arguments) and hidden reasoning."""

    text: str = "Hello from the fake server."
    tool_calls: Sequence[tuple[str, Mapping[str, Any]]] = ()
    reasoning: str = ""
    cached_tokens: int = 0


@dataclass(slots=True)
class Wire:
    """One call: the family, the model asked for, the answer, and the token counts."""

    family: str
    model: str
    answer: Answer
    prompt_tokens: int
    max_tokens: int | None
    number: int
    words: list[str] = field(init=False)
    finish: str = field(init=False)

    def __post_init__(self) -> None:
        words = _WORDS.findall(self.answer.text)
        self.finish = "tool_calls" if self.answer.tool_calls else "stop"
        if self.max_tokens is not None and len(words) > self.max_tokens:
            words, self.finish = words[: self.max_tokens], "length"
        self.words = words

    @property
    def text(self) -> str:
        return "".join(self.words)

    @property
    def output_tokens(self) -> int:
        calls = sum(len(json.dumps(args)) // 4 + 1 for _, args in self.answer.tool_calls)
        return len(self.words) + calls

    @property
    def reasoning_tokens(self) -> int:
        return len(_WORDS.findall(self.answer.reasoning))

    def call_id(self, index: int) -> str:
        return f"call_{self.number}_{index}"

    # -- OpenAI chat completions (and llama.cpp, which adds timings) ------------------------

    def openai_usage(self) -> dict[str, Any]:
        completion = self.output_tokens + self.reasoning_tokens
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": self.prompt_tokens + completion,
            "prompt_tokens_details": {"cached_tokens": self.answer.cached_tokens},
            "completion_tokens_details": {"reasoning_tokens": self.reasoning_tokens},
        }

    def llamacpp_timings(self) -> dict[str, Any]:
        fresh = self.prompt_tokens - self.answer.cached_tokens
        return {
            "cache_n": self.answer.cached_tokens,
            "prompt_n": fresh,
            "prompt_ms": fresh * 0.5,
            "prompt_per_second": 2000.0,
            "predicted_n": self.output_tokens,
            "predicted_ms": self.output_tokens * 10.0,
            "predicted_per_second": 100.0,
        }

    def _openai_calls(self) -> list[dict[str, Any]]:
        return [
            {
                "id": self.call_id(i),
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(args)},
            }
            for i, (name, args) in enumerate(self.answer.tool_calls)
        ]

    def openai(self) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": self.text or None}
        if self.answer.tool_calls:
            message["tool_calls"] = self._openai_calls()
        if self.answer.reasoning:
            message["reasoning_content"] = self.answer.reasoning
        data = {
            "id": f"chatcmpl-fake-{self.number}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": self.model,
            "choices": [{"index": 0, "message": message, "finish_reason": self.finish}],
            "usage": self.openai_usage(),
        }
        if self.family == "llamacpp":
            data["timings"] = self.llamacpp_timings()
        return data

    def _openai_chunk(self, delta: Mapping[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-fake-{self.number}",
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": self.model,
            "choices": [{"index": 0, "delta": dict(delta), "finish_reason": finish}],
        }

    def openai_stream(self, include_usage: bool) -> list[bytes]:
        chunks = [self._openai_chunk({"role": "assistant", "content": ""})]
        if self.answer.reasoning:
            chunks.append(self._openai_chunk({"reasoning_content": self.answer.reasoning}))
        chunks += [self._openai_chunk({"content": w}) for w in self.words]
        for i, call in enumerate(self._openai_calls()):
            args = call["function"]["arguments"]
            head = {"index": i, "id": call["id"], "type": "function"}
            head["function"] = {"name": call["function"]["name"], "arguments": ""}
            chunks.append(self._openai_chunk({"tool_calls": [head]}))
            for piece in (args[: len(args) // 2], args[len(args) // 2 :]):
                chunks.append(
                    self._openai_chunk(
                        {"tool_calls": [{"index": i, "function": {"arguments": piece}}]}
                    )
                )
        final = self._openai_chunk({}, self.finish)
        if self.family == "llamacpp":
            final["timings"] = self.llamacpp_timings()
        chunks.append(final)
        if include_usage:
            chunks.append({**self._openai_chunk({}), "choices": [], "usage": self.openai_usage()})
        return [sse(c) for c in chunks] + [b"data: [DONE]\n\n"]

    # -- Anthropic Messages ------------------------------------------------------------------

    def _anthropic_usage(self, output: int) -> dict[str, Any]:
        return {
            "input_tokens": self.prompt_tokens - self.answer.cached_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": self.answer.cached_tokens,
            "output_tokens": output,
        }

    def _anthropic_stop(self) -> str:
        return {"tool_calls": "tool_use", "length": "max_tokens"}.get(self.finish, "end_turn")

    def anthropic(self) -> dict[str, Any]:
        content: list[dict[str, Any]] = []
        if self.answer.reasoning:
            content.append(
                {"type": "thinking", "thinking": self.answer.reasoning, "signature": "s"}
            )
        if self.text:
            content.append({"type": "text", "text": self.text})
        content += [
            {"type": "tool_use", "id": f"toolu_{self.number}_{i}", "name": name, "input": args}
            for i, (name, args) in enumerate(self.answer.tool_calls)
        ]
        return {
            "id": f"msg_fake_{self.number}",
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": content,
            "stop_reason": self._anthropic_stop(),
            "stop_sequence": None,
            "usage": self._anthropic_usage(self.output_tokens + self.reasoning_tokens),
        }

    def anthropic_stream(self) -> list[bytes]:
        start = {**self.anthropic(), "content": [], "stop_reason": None}
        start["usage"] = self._anthropic_usage(1)
        events: list[tuple[str, dict[str, Any]]] = [("message_start", {"message": start})]
        events.append(("ping", {}))
        for index, block in enumerate(self.anthropic()["content"]):
            events += _anthropic_block(index, block)
        delta = {"stop_reason": self._anthropic_stop(), "stop_sequence": None}
        usage = {"output_tokens": self.output_tokens + self.reasoning_tokens}
        events.append(("message_delta", {"delta": delta, "usage": usage}))
        events.append(("message_stop", {}))
        return [sse({"type": kind, **data}, kind) for kind, data in events]

    # -- Gemini ------------------------------------------------------------------------------

    def _gemini_usage(self) -> dict[str, Any]:
        usage = {
            "promptTokenCount": self.prompt_tokens,
            "candidatesTokenCount": self.output_tokens,
            "totalTokenCount": self.prompt_tokens + self.output_tokens + self.reasoning_tokens,
        }
        if self.answer.cached_tokens:
            usage["cachedContentTokenCount"] = self.answer.cached_tokens
        if self.reasoning_tokens:
            usage["thoughtsTokenCount"] = self.reasoning_tokens
        return usage

    def _gemini_finish(self) -> str:
        return "MAX_TOKENS" if self.finish == "length" else "STOP"

    def _gemini(self, parts: list[dict[str, Any]], final: bool) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
        data: dict[str, Any] = {"candidates": [candidate], "modelVersion": self.model}
        data["responseId"] = f"fake-{self.number}"
        if final:
            candidate["finishReason"] = self._gemini_finish()
            data["usageMetadata"] = self._gemini_usage()
        return data

    def _gemini_calls(self) -> list[dict[str, Any]]:
        return [
            {"functionCall": {"name": name, "args": dict(args)}}
            for name, args in self.answer.tool_calls
        ]

    def gemini(self) -> dict[str, Any]:
        parts: list[dict[str, Any]] = []
        if self.answer.reasoning:
            parts.append({"text": self.answer.reasoning, "thought": True})
        if self.text:
            parts.append({"text": self.text})
        return self._gemini(parts + self._gemini_calls(), True)

    def gemini_stream(self) -> list[bytes]:
        frames = [self._gemini([{"text": w}], False) for w in self.words]
        frames.append(self._gemini(self._gemini_calls(), True))
        return [sse(f) for f in frames]

    # -- Ollama ------------------------------------------------------------------------------

    def _ollama_final(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "model": self.model,
            "created_at": "2026-01-01T00:00:00Z",
            "message": message,
            "done": True,
            "done_reason": "length" if self.finish == "length" else "stop",
            "total_duration": 5_000_000 + self.output_tokens * 10_000_000,
            "load_duration": 1_000_000,
            "prompt_eval_count": self.prompt_tokens,
            "prompt_eval_duration": 2_000_000,
            "eval_count": self.output_tokens,
            "eval_duration": self.output_tokens * 10_000_000,
        }

    def _ollama_message(self, content: str) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if self.answer.tool_calls:
            message["tool_calls"] = [
                {"function": {"name": name, "arguments": dict(args)}}
                for name, args in self.answer.tool_calls
            ]
        return message

    def ollama(self) -> dict[str, Any]:
        return self._ollama_final(self._ollama_message(self.text))

    def ollama_stream(self) -> list[bytes]:
        lines = [
            {
                "model": self.model,
                "created_at": "2026-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": w},
                "done": False,
            }
            for w in self.words
        ]
        lines.append(self._ollama_final(self._ollama_message("")))
        return [json.dumps(line).encode() + b"\n" for line in lines]


def _anthropic_block(index: int, block: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    kind = block["type"]
    if kind == "tool_use":
        start = {**block, "input": {}}
        args = json.dumps(block["input"])
        deltas = [
            {"type": "input_json_delta", "partial_json": p}
            for p in (args[: len(args) // 2], args[len(args) // 2 :])
        ]
    elif kind == "thinking":
        start = {"type": "thinking", "thinking": ""}
        deltas = [{"type": "thinking_delta", "thinking": block["thinking"]}]
    else:
        start = {"type": "text", "text": ""}
        deltas = [{"type": "text_delta", "text": w} for w in _WORDS.findall(block["text"])]
    events = [("content_block_start", {"index": index, "content_block": start})]
    events += [("content_block_delta", {"index": index, "delta": d}) for d in deltas]
    events.append(("content_block_stop", {"index": index}))
    return events


def sse(data: Mapping[str, Any], event: str | None = None) -> bytes:
    """One server-sent event frame."""
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


_STATUS_TYPES = {
    400: ("invalid_request_error", "INVALID_ARGUMENT"),
    401: ("authentication_error", "UNAUTHENTICATED"),
    403: ("permission_error", "PERMISSION_DENIED"),
    404: ("not_found_error", "NOT_FOUND"),
    429: ("rate_limit_error", "RESOURCE_EXHAUSTED"),
    500: ("api_error", "INTERNAL"),
    502: ("api_error", "UNAVAILABLE"),
    503: ("api_error", "UNAVAILABLE"),
    529: ("overloaded_error", "UNAVAILABLE"),
}


def error_body(family: str, status: int, message: str, retry_after: float | None) -> bytes:
    """An error answer's body in the family's format."""
    anthropic_type, google_status = _STATUS_TYPES.get(status, ("api_error", "UNKNOWN"))
    if family == "anthropic":
        data: Any = {"type": "error", "error": {"type": anthropic_type, "message": message}}
    elif family == "gemini":
        error: dict[str, Any] = {"code": status, "message": message, "status": google_status}
        if status == 429 and retry_after is not None:
            error["details"] = [
                {
                    "@type": "type.googleapis.com/google.rpc.RetryInfo",
                    "retryDelay": f"{retry_after}s",
                }
            ]
        data = {"error": error}
    elif family == "ollama":
        data = {"error": message}
    elif family == "llamacpp":
        data = {"error": {"code": status, "message": message, "type": "server_error"}}
    else:
        kind = "requests" if status == 429 else "server_error"
        code = None
        if status < 500 and status != 429:
            kind, code = "invalid_request_error", "invalid_api_key" if status == 401 else None
        data = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return json.dumps(data).encode()


def rate_limit_headers(
    family: str, retry_after: float, now: datetime | None = None
) -> dict[str, str]:
    """The headers a family's 429 comes with: OpenAI resets, Anthropic's RFC 3339 resets."""
    if family in ("openai", "openai-compatible"):
        return {
            "x-ratelimit-limit-requests": "500",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": f"{retry_after}s",
            "x-ratelimit-limit-tokens": "30000",
            "x-ratelimit-remaining-tokens": "29000",
            "x-ratelimit-reset-tokens": "6m0s",
        }
    if family == "anthropic":
        moment = (now or datetime.now(UTC)) + timedelta(seconds=retry_after)
        return {
            "retry-after": str(round(retry_after)),
            "anthropic-ratelimit-requests-limit": "50",
            "anthropic-ratelimit-requests-remaining": "0",
            "anthropic-ratelimit-requests-reset": moment.isoformat().replace("+00:00", "Z"),
        }
    if family == "gemini":
        return {}  # the wait is in the body's RetryInfo
    return {"retry-after": str(retry_after)}

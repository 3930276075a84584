"""Read usage out of provider HTTP bodies as they stream past: JSON or server-sent events.

Knows the streaming shapes: OpenAI chat chunks (``usage`` on the last chunk), OpenAI
responses (``response.completed``), Anthropic (``message_start`` + cumulative
``message_delta``) and Gemini (``usageMetadata`` on every chunk, the last one final).
"""

from __future__ import annotations

import json
import re
from typing import Any

from powertools.cost._normalise import parse_response
from powertools.cost._usage import Usage

__all__ = ["UsageReader", "provider_path"]

_PATHS = re.compile(
    r"(/chat/completions|/responses|/messages|:generateContent|:streamGenerateContent)$"
)
_GEMINI_MODEL = re.compile(r"/models/([^/:]+):")


def provider_path(path: str) -> bool:
    """Whether a request path is an LLM call whose response carries usage."""
    return _PATHS.search(path) is not None


class UsageReader:
    """Feed body bytes; :meth:`result` gives the usage and model once the body ended."""

    def __init__(self, path: str, content_type: str) -> None:
        found = _GEMINI_MODEL.search(path)
        self.model: str | None = found.group(1) if found else None
        self.streaming = "text/event-stream" in content_type
        self._pending = b""
        self._body: list[bytes] = []
        self._final: dict[str, Any] | None = None
        self._anthropic: dict[str, Any] | None = None

    def feed(self, chunk: bytes) -> None:
        """Take the next bytes of the body."""
        if not self.streaming:
            self._body.append(chunk)
            return
        lines = (self._pending + chunk).split(b"\n")
        self._pending = lines.pop()
        for line in lines:
            self._line(line.strip())

    def _line(self, line: bytes) -> None:
        if not line.startswith(b"data:"):
            return
        data = line[5:].strip()
        if not data or data == b"[DONE]":
            return
        try:
            event = json.loads(data)
        except ValueError:
            return
        if isinstance(event, dict):
            self._event(event)

    def _event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "message_start":
            message = event.get("message") or {}
            self._anthropic = dict(message.get("usage") or {})
            self.model = message.get("model") or self.model
        elif kind == "message_delta" and self._anthropic is not None:
            self._anthropic.update(event.get("usage") or {})
        elif kind == "response.completed":
            self._final = event.get("response")
        elif event.get("usage") or "usageMetadata" in event:
            self._final = event
        if isinstance(event.get("model"), str):
            self.model = event["model"]

    def result(self) -> tuple[Usage, str | None] | None:
        """The usage and model, or None when the body carried none."""
        if self.streaming:
            self._line(self._pending.strip())
            if self._anthropic is not None:
                return parse_response({"usage": self._anthropic})[0], self.model
            body = self._final
        else:
            try:
                body = json.loads(b"".join(self._body))
            except ValueError:
                return None
        if not isinstance(body, dict) or not (body.get("usage") or "usageMetadata" in body):
            return None
        usage, model = parse_response(body)
        return usage, model or self.model

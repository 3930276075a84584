"""The one request, response and chunk shape that every provider speaks.

A provider translates a :class:`Request` into its wire format and its answer back into a
:class:`Response`; the router never sees a vendor's JSON. Usage is ``powertools.cost``'s
:class:`~powertools.cost.Usage`, so the cost of a response is one price lookup away.

>>> req = Request.of("Say hi", system="Be brief.", max_tokens=16)
>>> [m.role for m in req.messages]
['system', 'user']
>>> req.messages[1].text
'Say hi'
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from powertools.cost import Usage

__all__ = [
    "Chunk",
    "FinishReason",
    "ImagePart",
    "Message",
    "Part",
    "ReasoningEffort",
    "Request",
    "Response",
    "ResponseFormat",
    "Role",
    "TextPart",
    "Timings",
    "Tool",
    "ToolCall",
    "ToolResultPart",
]

Role = Literal["system", "user", "assistant", "tool"]
ReasoningEffort = Literal["minimal", "low", "medium", "high"]


@dataclass(slots=True, frozen=True)
class TextPart:
    """Plain text inside a message."""

    text: str


@dataclass(slots=True, frozen=True)
class ImagePart:
    """An image inside a user message: an ``https:`` or ``data:`` URL, or raw base64 data.

    ``media_type`` is needed with ``data`` (``"image/png"``); ``detail`` is OpenAI's
    ``low``/``high``/``auto`` hint and is ignored by providers that have none.
    """

    url: str | None = None
    data: str | None = None
    media_type: str | None = None
    detail: str | None = None

    def __post_init__(self) -> None:
        if (self.url is None) == (self.data is None):
            raise ValueError("ImagePart needs exactly one of url= or data= (base64)")
        if self.data is not None and not self.media_type:
            raise ValueError("ImagePart(data=...) needs media_type=, for example 'image/png'")


@dataclass(slots=True, frozen=True)
class ToolResultPart:
    """The result of a tool call, sent back in a ``tool`` message."""

    tool_call_id: str
    content: str
    name: str | None = None
    is_error: bool = False


Part = TextPart | ImagePart | ToolResultPart


@dataclass(slots=True, frozen=True)
class ToolCall:
    """A call of one tool that the model asked for; ``arguments`` is the JSON text it wrote."""

    id: str
    name: str
    arguments: str

    def parsed_arguments(self) -> Any:
        """The arguments decoded from JSON.

        >>> ToolCall("c1", "add", '{"a": 1}').parsed_arguments()
        {'a': 1}
        """
        import json  # json loads with the first tool call, not with the router

        return json.loads(self.arguments) if self.arguments else {}


@dataclass(slots=True, frozen=True)
class Message:
    """One turn of a conversation.

    ``content`` is a string or a sequence of parts; an assistant turn may carry the tool calls
    it made, and a ``tool`` turn carries :class:`ToolResultPart` items.
    """

    role: Role
    content: str | tuple[Part, ...] = ""
    tool_calls: tuple[ToolCall, ...] = ()
    name: str | None = None

    @property
    def parts(self) -> tuple[Part, ...]:
        """The content as parts (a plain string is one :class:`TextPart`)."""
        if isinstance(self.content, str):
            return (TextPart(self.content),) if self.content else ()
        return self.content

    @property
    def text(self) -> str:
        """Every text part of the message, joined."""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text for p in self.content if isinstance(p, TextPart))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Message:
        """Build a message from the OpenAI-style dict users already write.

        >>> Message.from_dict({"role": "user", "content": "hi"}).text
        'hi'
        """
        role = data.get("role")
        if role not in ("system", "user", "assistant", "tool"):
            raise ValueError(f"message role {role!r} is not one of system, user, assistant, tool")
        content = data.get("content") or ""
        if role == "tool":
            call_id = data.get("tool_call_id")
            if not call_id:
                raise ValueError("a tool message needs 'tool_call_id' (the id of the call)")
            if isinstance(content, str):
                text = content
            else:
                import json

                text = json.dumps(content)
            return cls("tool", (ToolResultPart(str(call_id), text, data.get("name")),))
        parts: str | tuple[Part, ...] = content if isinstance(content, str) else _parts(content)
        calls = tuple(
            ToolCall(
                str(c["id"]),
                str(c["function"]["name"]),
                str(c["function"].get("arguments") or ""),
            )
            for c in data.get("tool_calls") or ()
        )
        return cls(role, parts, calls, data.get("name"))


def _parts(items: Sequence[Mapping[str, Any]]) -> tuple[Part, ...]:
    out: list[Part] = []
    for item in items:
        kind = item.get("type")
        if kind == "text":
            out.append(TextPart(str(item.get("text", ""))))
        elif kind == "image_url":
            image = item.get("image_url") or {}
            url = image if isinstance(image, str) else image.get("url")
            detail = None if isinstance(image, str) else image.get("detail")
            out.append(ImagePart(url=str(url), detail=detail))
        else:
            raise ValueError(f"content part type {kind!r} is not 'text' or 'image_url'")
    return tuple(out)


@dataclass(slots=True, frozen=True)
class Tool:
    """A function the model may call; ``parameters`` is its JSON Schema."""

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tool:
        """Accept OpenAI's ``{"type": "function", "function": {...}}`` or the bare function.

        >>> Tool.from_dict({"type": "function", "function": {"name": "f"}}).name
        'f'
        """
        fn = data.get("function", data)
        if "name" not in fn:
            raise ValueError("a tool needs a 'name'")
        params = fn.get("parameters") or {"type": "object", "properties": {}}
        return cls(str(fn["name"]), str(fn.get("description") or ""), params)


@dataclass(slots=True, frozen=True)
class ResponseFormat:
    """What the answer must look like: free text, any JSON object, or JSON matching a schema."""

    type: Literal["text", "json", "json_schema"] = "text"
    schema: Mapping[str, Any] | None = None
    name: str = "response"
    strict: bool = True

    def __post_init__(self) -> None:
        if self.type == "json_schema" and self.schema is None:
            raise ValueError("ResponseFormat(type='json_schema') needs schema=")

    @classmethod
    def json_schema(cls, schema: Mapping[str, Any], name: str = "response") -> ResponseFormat:
        """JSON matching ``schema``."""
        return cls("json_schema", schema, name)


@dataclass(slots=True, frozen=True)
class Request:
    """One model call, the same for every provider.

    ``model`` is the provider's model id; the router fills it in per candidate. ``timeout`` is
    the per-attempt limit in seconds (connect, first byte and whole answer). ``extra`` is sent
    to the provider as it is, merged into its request body, for options only it has.
    """

    messages: tuple[Message, ...]
    model: str = ""
    tools: tuple[Tool, ...] = ()
    tool_choice: str | Mapping[str, Any] | None = None
    response_format: ResponseFormat | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    reasoning_effort: ReasoningEffort | None = None
    thinking_budget: int | None = None
    timeout: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.messages:
            raise ValueError("a Request needs at least one message")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {self.max_tokens}")
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError(f"timeout must be positive seconds, got {self.timeout}")

    @classmethod
    def of(cls, prompt: str, *, system: str | None = None, **options: Any) -> Request:
        """A request from one prompt (and an optional system message)."""
        messages = (Message("system", system),) if system else ()
        return cls((*messages, Message("user", prompt)), **options)

    @property
    def system(self) -> str:
        """The text of every system message, joined by blank lines."""
        return "\n\n".join(m.text for m in self.messages if m.role == "system")

    def with_model(self, model: str, timeout: float | None = None) -> Request:
        """The same request for another model (and, optionally, a new per-attempt timeout)."""
        from dataclasses import replace

        return replace(self, model=model, timeout=self.timeout if timeout is None else timeout)


class FinishReason(enum.StrEnum):
    """Why the model stopped, normalised across providers."""

    STOP = "stop"
    LENGTH = "length"
    TOOL_CALLS = "tool_calls"
    CONTENT_FILTER = "content_filter"
    ERROR = "error"


@dataclass(slots=True, frozen=True)
class Timings:
    """How long a call took, in seconds; ``ttft`` is the time to the first output token."""

    total: float
    ttft: float | None = None
    output_tokens_per_second: float | None = None


@dataclass(slots=True, frozen=True)
class Response:
    """A provider's finished answer."""

    text: str
    provider: str
    model: str
    usage: Usage
    finish_reason: FinishReason = FinishReason.STOP
    tool_calls: tuple[ToolCall, ...] = ()
    request_id: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    timings: Timings = field(default_factory=lambda: Timings(total=0.0))
    reasoning: str = ""


@dataclass(slots=True, frozen=True)
class Chunk:
    """One piece of a streamed answer: new text, or the final :class:`Response` (``done``)."""

    text: str = ""
    reasoning: str = ""
    response: Response | None = None

    @property
    def done(self) -> bool:
        """Whether this is the last chunk, carrying the whole response."""
        return self.response is not None

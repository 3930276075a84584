"""From ``route()``'s keyword arguments to a :class:`Request` and its :class:`Needs`, and back.

Also the automatic quality signals read from an answer (:func:`quality_signal`): a refusal,
a content filter, an answer cut at ``max_tokens``, JSON that does not match the requested
format.

>>> request, complexity = build_request(RouteArgs("Generate Python function", complexity=0.6))
>>> request.max_tokens, complexity
(4096, 0.6)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from powertools.cost._money import fd_from_usd
from powertools.router._catalog import estimate_complexity
from powertools.router._engine import Needs
from powertools.router._request import (
    FinishReason,
    ImagePart,
    Message,
    Request,
    ResponseFormat,
    Tool,
)
from powertools.router.errors import ConfigurationError

if TYPE_CHECKING:
    from powertools.router._result import RouteResult

__all__ = ["DEFAULT_MAX_TOKENS", "RouteArgs", "build_request", "needs_of", "quality_signal"]

DEFAULT_MAX_TOKENS = 4096
# a refusal's opening words: re compiles the pattern with the first answer checked (and keeps
# it in its own cache), not at import
_REFUSAL = (
    r"^\s*(i'?m sorry,? but |i can(?:no|')t (?:help|assist|comply)|i am unable to|"
    r"as an ai(?: language model)?,? i can(?:no|')t)"
)


@dataclass(slots=True, frozen=True)
class RouteArgs:
    """The arguments of one ``route()`` call, as given."""

    task: str | None = None
    complexity: float | None = None
    required_quality: float | None = None
    max_latency_ms: float | None = None
    max_cost_usd: Decimal | float | str | None = None
    messages: Sequence[Any] | None = None
    system: str | None = None
    tools: Sequence[Any] | None = None
    response_format: Any = None
    max_tokens: int | None = None
    temperature: float | None = None
    user: str | None = None
    tags: tuple[str, ...] = ()
    priority: str = "normal"
    deadline: float | None = None


def _unit(name: str, value: float | None) -> float | None:
    if value is not None and not 0.0 <= value <= 1.0:
        raise ConfigurationError(f"{name}={value!r} must be in [0, 1]")
    return value


def _messages(args: RouteArgs) -> tuple[Message, ...]:
    out: list[Message] = [Message("system", args.system)] if args.system else []
    for item in args.messages or ():
        out.append(item if isinstance(item, Message) else Message.from_dict(item))
    if args.task:
        out.append(Message("user", args.task))
    if not any(m.role != "system" for m in out):
        raise ConfigurationError(
            "route() needs something to answer: task='...' or messages=[{'role': 'user', ...}]"
        )
    return tuple(out)


def _format(value: Any) -> ResponseFormat | None:
    if value is None or isinstance(value, ResponseFormat):
        return value
    if value in ("json", "json_object"):
        return ResponseFormat("json")
    if isinstance(value, Mapping):
        kind = value.get("type")
        if kind in ("json", "json_object"):
            return ResponseFormat("json")
        if kind == "json_schema":
            spec = value.get("json_schema", value)
            return ResponseFormat.json_schema(
                spec.get("schema", spec), spec.get("name", "response")
            )
        if kind == "text":
            return None
    raise ConfigurationError(
        f"response_format={value!r} is not 'json', {{'type': 'json_object'}}, "
        "{'type': 'json_schema', 'json_schema': {...}} or a ResponseFormat"
    )


def build_request(args: RouteArgs) -> tuple[Request, float]:
    """The request to send, and the task's complexity (given, or estimated from the prompt)."""
    messages = _messages(args)
    tools = tuple(t if isinstance(t, Tool) else Tool.from_dict(t) for t in args.tools or ())
    fmt = _format(args.response_format)
    complexity = _unit("complexity", args.complexity)
    if complexity is None:
        text = "\n".join(m.text for m in messages)
        complexity = estimate_complexity(text, tools=len(tools), structured=fmt is not None)
    if args.max_tokens is not None and args.max_tokens < 1:
        raise ConfigurationError(f"max_tokens={args.max_tokens!r} must be at least 1")
    request = Request(
        messages,
        tools=tools,
        response_format=fmt,
        max_tokens=args.max_tokens or DEFAULT_MAX_TOKENS,
        temperature=args.temperature,
    )
    return request, complexity


def needs_of(
    request: Request,
    args: RouteArgs,
    complexity: float,
    *,
    prompt_tokens: int,
    budget_fd: int | None,
    time_left: float | None,
) -> Needs:
    """What the request needs from a candidate; the quality bar defaults to the complexity."""
    required = _unit("required_quality", args.required_quality)
    max_cost = (
        None if args.max_cost_usd is None else fd_from_usd(args.max_cost_usd, what="max_cost_usd")
    )
    if args.max_latency_ms is not None and not args.max_latency_ms > 0:
        raise ConfigurationError(f"max_latency_ms={args.max_latency_ms!r} must be positive")
    fmt = request.response_format
    return Needs(
        prompt_tokens=prompt_tokens,
        max_tokens=request.max_tokens or DEFAULT_MAX_TOKENS,
        complexity=complexity,
        required_quality=complexity if required is None else required,
        max_latency_ms=args.max_latency_ms,
        max_cost_fd=max_cost,
        budget_fd=budget_fd,
        time_left=time_left,
        tools=bool(request.tools),
        vision=any(isinstance(p, ImagePart) for m in request.messages for p in m.parts),
        json_schema=fmt is not None and fmt.type == "json_schema",
    )


def _matches(text: str, fmt: ResponseFormat) -> bool:
    """Whether ``text`` is JSON of the requested shape (top-level type and required keys)."""
    import json  # with the first structured answer, not with the router

    try:
        data = json.loads(text)
    except ValueError:
        return False
    schema = fmt.schema or {}
    if schema.get("type") == "object" or fmt.type == "json":
        if not isinstance(data, dict):
            return False
        return all(key in data for key in schema.get("required", ()))
    return True


def quality_signal(result: RouteResult, args: RouteArgs) -> tuple[float, float] | None:
    """``(score, weight)`` the answer itself says about its quality, or ``None``."""
    if result.cached:
        return None
    refused = re.match(_REFUSAL, result.text, re.IGNORECASE)
    if result.finish_reason is FinishReason.CONTENT_FILTER or refused:
        return 0.0, 1.0
    fmt = result.response and _format(args.response_format)
    if (
        fmt
        and result.finish_reason is not FinishReason.TOOL_CALLS
        and not _matches(result.text, fmt)
    ):
        return 0.0, 1.0
    if result.finish_reason is FinishReason.LENGTH:
        return 0.0, 0.5
    return None

"""The request model's checks: each wrong shape says what to write instead."""

from __future__ import annotations

import pytest

from powertools.router import ImagePart, Message, Request, ResponseFormat, Tool, ToolResultPart


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (ImagePart, "exactly one of url= or data="),
        (lambda: ImagePart(url="http://x/a.png", data="AAAA"), "exactly one of url= or data="),
        (lambda: Message.from_dict({"role": "robot", "content": "hi"}), "role 'robot'"),
        (lambda: Message.from_dict({"role": "tool", "content": "42"}), "tool_call_id"),
        (lambda: Tool.from_dict({"type": "function", "function": {}}), "needs a 'name'"),
        (lambda: ResponseFormat(type="json_schema"), "needs schema="),
        (lambda: Request(()), "at least one message"),
        (lambda: Request.of("hi", max_tokens=0), "max_tokens must be at least 1"),
        (lambda: Request.of("hi", timeout=0), "timeout must be positive"),
    ],
)
def test_a_wrong_shape_is_refused_with_what_to_do(build, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_a_tool_message_carries_its_result_and_call_id() -> None:
    m = Message.from_dict(
        {"role": "tool", "tool_call_id": "call_1", "name": "add", "content": {"sum": 3}}
    )
    assert m.role == "tool"
    (part,) = m.content
    assert part == ToolResultPart("call_1", '{"sum": 3}', "add")

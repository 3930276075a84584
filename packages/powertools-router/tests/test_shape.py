"""From route()'s arguments to a request and its needs, and the answer's own quality signals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from powertools.cost import Usage
from powertools.router import ConfigurationError, FinishReason, Message, Response, ResponseFormat
from powertools.router._engine import Decision, Needs
from powertools.router._result import RouteResult
from powertools.router._shape import RouteArgs, build_request, needs_of, quality_signal


def test_messages_system_tools_and_formats_become_one_request() -> None:
    args = RouteArgs(
        "and now this",
        complexity=0.4,
        system="Be brief.",
        messages=[{"role": "user", "content": "hi"}, Message("assistant", "hello")],
        tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}],
        response_format={"type": "json_schema", "json_schema": {"name": "r", "schema": {}}},
        max_tokens=100,
        temperature=0.2,
    )
    request, complexity = build_request(args)
    assert [m.role for m in request.messages] == ["system", "user", "assistant", "user"]
    assert request.tools[0].name == "f"
    assert request.response_format is not None
    assert request.response_format.type == "json_schema"
    assert (request.max_tokens, request.temperature, complexity) == (100, 0.2, 0.4)
    needs = needs_of(request, args, complexity, prompt_tokens=10, budget_fd=None, time_left=5.0)
    assert needs.tools
    assert needs.json_schema
    assert needs.required_quality == 0.4  # the bar defaults to the complexity


@pytest.mark.parametrize(
    ("given", "kind"),
    [("json", "json"), ({"type": "json_object"}, "json"), (ResponseFormat("json"), "json")],
)
def test_response_formats(given: object, kind: str) -> None:
    request, _ = build_request(RouteArgs("x", response_format=given))
    assert request.response_format is not None
    assert request.response_format.type == kind
    assert (
        build_request(RouteArgs("x", response_format={"type": "text"}))[0].response_format is None
    )


def test_bad_values_are_refused_with_the_value_named() -> None:
    with pytest.raises(ConfigurationError, match="max_tokens=0"):
        build_request(RouteArgs("x", max_tokens=0))
    request, c = build_request(RouteArgs("x"))
    for bad, match in (
        (RouteArgs("x", required_quality=2.0), "required_quality=2.0"),
        (RouteArgs("x", max_latency_ms=-1), "max_latency_ms=-1"),
    ):
        with pytest.raises(ConfigurationError, match=match):
            needs_of(request, bad, c, prompt_tokens=1, budget_fd=None, time_left=None)
    capped = needs_of(
        request, RouteArgs("x", max_cost_usd="0.01"), c, prompt_tokens=1, budget_fd=None,
        time_left=None,
    )  # fmt: skip
    assert capped.max_cost_fd == 10**13


def _result(text: str, finish: FinishReason = FinishReason.STOP) -> RouteResult:
    response = Response(text, "p", "m", Usage(), finish_reason=finish)
    decision = Decision(Needs(1, 1, 0.5, 0.5), (), (), 0.0)
    return RouteResult(text, "p", "m", Decimal(0), 0.0, Usage(), decision, (), finish, (), response)


def test_quality_signals_from_the_answer_itself() -> None:
    plain = RouteArgs("x")
    schema = RouteArgs(
        "x",
        response_format={
            "type": "json_schema",
            "json_schema": {"schema": {"type": "object", "required": ["a"]}},
        },
    )
    assert quality_signal(_result("fine"), plain) is None
    assert quality_signal(_result("I'm sorry, but I can't help with that"), plain) == (0.0, 1.0)
    assert quality_signal(_result("x", FinishReason.CONTENT_FILTER), plain) == (0.0, 1.0)
    assert quality_signal(_result("cut", FinishReason.LENGTH), plain) == (0.0, 0.5)
    assert quality_signal(_result('{"a": 1}'), schema) is None
    assert quality_signal(_result('{"b": 1}'), schema) == (0.0, 1.0)
    assert quality_signal(_result("not json"), RouteArgs("x", response_format="json")) == (0.0, 1.0)
    assert quality_signal(_result("[1]"), RouteArgs("x", response_format="json")) == (0.0, 1.0)


def test_a_schema_that_is_not_an_object_only_asks_for_valid_json() -> None:
    array = RouteArgs(
        "x",
        response_format={"type": "json_schema", "json_schema": {"schema": {"type": "array"}}},
    )
    assert quality_signal(_result("[1, 2]"), array) is None
    assert quality_signal(_result("[1, 2"), array) == (0.0, 1.0)


def test_a_cached_answer_says_nothing_about_quality_again() -> None:
    from dataclasses import replace

    refusal = _result("I'm sorry, but I can't help with that")
    assert quality_signal(refusal, RouteArgs("x")) == (0.0, 1.0)
    assert quality_signal(replace(refusal, cached=True), RouteArgs("x")) is None

"""OpenTelemetry GenAI spans: one per route and per attempt, with the conventions' names."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from powertools.router import LLMRouter
from powertools.router._telemetry import Telemetry


class FakeSpan:
    def __init__(self, name: str, attributes: dict[str, Any]) -> None:
        self.name = name
        self.attributes = dict(attributes)
        self.status: Any = None

    def set_attribute(self, key: str, value: Any) -> None:
        self.attributes[key] = value

    def set_status(self, status: Any) -> None:
        self.status = status


class FakeTracer:
    def __init__(self) -> None:
        self.spans: list[FakeSpan] = []

    @contextlib.contextmanager
    def start_as_current_span(self, name: str, attributes: dict[str, Any]) -> Iterator[FakeSpan]:
        span = FakeSpan(name, attributes)
        self.spans.append(span)
        yield span


async def test_route_and_attempt_spans_carry_the_genai_attributes(
    scripted: Callable[..., Any],
) -> None:
    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"], script=[503])
    router = LLMRouter(providers=[cloud], cloud_providers=[], explore=0, rate_limits=False)
    tracer = FakeTracer()
    router._layers.telemetry._tracer = tracer
    await router.route(task="hi", complexity=0.5)
    ops = [s.attributes["gen_ai.operation.name"] for s in tracer.spans]
    assert ops == ["route", "chat", "chat"]
    failed, ok = tracer.spans[1], tracer.spans[2]
    assert failed.attributes["gen_ai.provider.name"] == "openai"
    assert failed.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert failed.attributes["error.type"] == "ProviderError"
    assert ok.attributes["gen_ai.response.model"] == "gpt-4o"
    assert ok.attributes["gen_ai.usage.input_tokens"] == 100
    assert ok.attributes["gen_ai.usage.output_tokens"] == 50
    assert tracer.spans[0].attributes["gen_ai.provider.name"] == "openai"


def test_nothing_is_recorded_when_disabled() -> None:
    telemetry = Telemetry(enabled=False)
    assert not telemetry.enabled
    with telemetry.span("chat", {"gen_ai.request.model": "m"}) as span:
        span.set("gen_ai.response.model", "m")


def test_the_api_is_used_when_importable() -> None:
    assert Telemetry().enabled  # opentelemetry-api is in the dev environment


def test_a_configured_tracer_provider_is_picked_up_and_the_bare_api_is_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from opentelemetry import trace

    telemetry = Telemetry()
    assert telemetry._current() is None  # only the API, no SDK: no span is made at all
    tracer = FakeTracer()

    class Provider:
        def get_tracer(self, name: str) -> FakeTracer:
            assert name == "powertools.router"
            return tracer

    monkeypatch.setattr(trace, "get_tracer_provider", Provider)
    with telemetry.span("chat", {"gen_ai.request.model": "m"}):
        pass
    assert [s.name for s in tracer.spans] == ["chat m"]


def test_without_the_api_installed_telemetry_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    telemetry = Telemetry()
    assert not telemetry.enabled
    assert telemetry._current() is None


def test_one_tracer_per_provider_and_unknown_values_are_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from opentelemetry import trace

    made: list[FakeTracer] = []

    class Provider:
        def get_tracer(self, name: str) -> FakeTracer:
            made.append(FakeTracer())
            return made[-1]

    provider = Provider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    telemetry = Telemetry()
    for _ in range(3):
        with telemetry.span("chat", {"gen_ai.request.model": "m"}) as span:
            span.set("gen_ai.response.model", "m-2025")
            span.set("gen_ai.response.id", None)
    [tracer] = made
    assert len(tracer.spans) == 3
    assert tracer.spans[0].attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "m",
        "gen_ai.response.model": "m-2025",
    }

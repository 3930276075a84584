from __future__ import annotations

import asyncio
import re
import threading

import pytest

from powertools.logging import (
    StructuredLogger,
    clear_context,
    context,
    context_from_headers,
    get_context,
    new_trace,
    set_context,
    trace_headers,
)
from powertools.logging._context import w3c_trace_id
from powertools.logging.testing import MemorySink


async def test_context_is_isolated_across_1000_concurrent_tasks() -> None:
    sink = MemorySink()
    log = StructuredLogger("ctx", sinks=[sink])

    async def task(n: int) -> None:
        log.set_context(task=n, user_id=f"user{n}")
        await asyncio.sleep(0)
        log.info("step", n=n)
        await asyncio.sleep(0)
        with context(phase="two"):
            log.info("step", n=n)

    await asyncio.gather(*(task(n) for n in range(1000)))
    events = sink.events
    assert len(events) == 2000
    assert all(e["task"] == e["n"] and e["user_id"] == f"user{e['n']}" for e in events)
    assert sum(1 for e in events if e.get("phase") == "two") == 1000
    # each task generated its own trace id, kept for both of its events
    traces = {e["n"]: set() for e in events}
    for e in events:
        traces[e["n"]].add(e.trace_id)
    assert all(len(t) == 1 for t in traces.values())
    assert len({next(iter(t)) for t in traces.values()}) == 1000
    assert get_context() == {}


def test_context_is_isolated_across_threads() -> None:
    sink = MemorySink()
    log = StructuredLogger("ctx", sinks=[sink])
    barrier = threading.Barrier(8)

    def worker(n: int) -> None:
        set_context(thread=n)
        barrier.wait()
        for _ in range(50):
            log.info("tick", n=n)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sink.events) == 400
    assert all(e["thread"] == e["n"] for e in sink.events)


def test_context_manager_restores_and_fields_override_context() -> None:
    sink = MemorySink()
    log = StructuredLogger("ctx", sinks=[sink])
    set_context(user="a", trace_id="t1")
    with context(user="b"):
        log.info("inner")
    log.info("outer", user="c")
    bound = log.bind(user="d", component="db")
    bound.info("bound")
    bound.info("bound-override", component="cache")
    clear_context()
    users = [(e.event, e["user"]) for e in sink.events]
    assert users == [("inner", "b"), ("outer", "c"), ("bound", "d"), ("bound-override", "d")]
    assert sink.events[-1]["component"] == "cache"
    assert all(e.trace_id == "t1" for e in sink.events)
    # no duplicate keys in the JSON text
    assert all(line.count('"user"') == 1 for line in sink.lines)


def test_trace_headers_round_trip() -> None:
    set_context(trace_id="4bf92f3577b34da6a3ce929d0e0e4736", correlation_id="corr-1")
    headers = trace_headers()
    clear_context()
    adopted = context_from_headers(headers)
    assert adopted["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert adopted["correlation_id"] == "corr-1"
    clear_context()
    generated = context_from_headers({})
    assert len(generated["correlation_id"]) == 32
    assert "trace_id" not in generated
    clear_context()


def test_opentelemetry_span_ids_are_used_when_a_span_is_active() -> None:
    trace = pytest.importorskip("opentelemetry.trace")
    span_context = trace.SpanContext(
        trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736,
        span_id=0x00F067AA0BA902B7,
        is_remote=False,
        trace_flags=trace.TraceFlags(1),
    )
    sink = MemorySink()
    log = StructuredLogger("otel", sinks=[sink])
    with trace.use_span(trace.NonRecordingSpan(span_context)):
        log.info("inside")
        assert trace_headers()["traceparent"].startswith("00-4bf92f3577b34da6a3ce929d0e0e4736")
    (event,) = sink.events
    assert event.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert event["span_id"] == "00f067aa0ba902b7"
    clear_context()


def test_a_span_started_after_a_generated_trace_id_still_wins() -> None:
    trace = pytest.importorskip("opentelemetry.trace")
    sink = MemorySink()
    log = StructuredLogger("otel", sinks=[sink])
    log.info("before")
    span_context = trace.SpanContext(
        trace_id=0x0AF7651916CD43DD8448EB211C80319C,
        span_id=0xB7AD6B7169203331,
        is_remote=False,
        trace_flags=trace.TraceFlags(1),
    )
    with trace.use_span(trace.NonRecordingSpan(span_context)):
        log.info("inside")
    log.info("after")
    before, inside, after = sink.events
    assert inside.trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert before.trace_id == after.trace_id != inside.trace_id
    assert trace_headers()["traceparent"].split("-")[1] == before.trace_id


TRACEPARENT = re.compile(r"^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-01$")


async def test_a_trace_is_shared_by_every_task_it_starts() -> None:
    sink = MemorySink()
    log = StructuredLogger("router", sinks=[sink])

    async def attempt(n: int) -> str:
        await asyncio.sleep(0)
        log.info("attempt", n=n)
        with log.timer("attempt_call", tags={"provider": "p"}):
            log.metric("attempt_cost", value=n, tags={"provider": "p"})
        return trace_headers()["traceparent"]

    with log.trace() as trace_id:
        log.info("route_started")
        headers = await asyncio.gather(*(attempt(n) for n in range(20)))
    ids = {e.trace_id for e in sink.events}
    assert ids == {trace_id}  # before: each child task generated its own
    assert len(trace_id) == 32
    assert {h.split("-")[1] for h in headers} == {trace_id}
    assert "trace_id" not in get_context()

    sink.records.clear()
    started = new_trace()
    await asyncio.gather(*(attempt(n) for n in range(3)))
    assert {e.trace_id for e in sink.events} == {started}
    clear_context()


async def test_without_a_trace_concurrent_tasks_are_told_apart() -> None:
    sink = MemorySink()
    log = StructuredLogger("router", sinks=[sink])

    async def attempt() -> None:
        log.info("attempt")

    await asyncio.gather(*(attempt() for _ in range(3)))
    assert len({e.trace_id for e in sink.events}) == 3  # documented: start a trace to share


def test_traceparent_is_valid_for_any_context_trace_id() -> None:
    for given in ("trace789", "", "0" * 32, "4BF92F3577B34DA6A3CE929D0E0E4736", "x" * 100):
        with context(trace_id=given):
            header = trace_headers()["traceparent"]
        assert TRACEPARENT.match(header), (given, header)
    with context(trace_id="trace789"):
        first = trace_headers()["traceparent"].split("-")[1]
    with context(trace_id="trace789"):
        assert trace_headers()["traceparent"].split("-")[1] == first  # a stable mapping
    assert w3c_trace_id("4bf92f3577b34da6a3ce929d0e0e4736") == "4bf92f3577b34da6a3ce929d0e0e4736"


def test_invalid_incoming_traceparents_are_not_adopted() -> None:
    for bad in (
        "00-" + "0" * 32 + "-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-" + "0" * 16 + "-01",
        "garbage",
    ):
        fields = context_from_headers({"traceparent": bad})
        assert "trace_id" not in fields, bad
        clear_context()


def test_timer_keeps_its_histogram_and_counters_per_tags() -> None:
    sink = MemorySink()
    log = StructuredLogger("t", sinks=[sink])
    ticks = iter([0.0, 0.5, 1.0, 1.25])
    timer = log.timer("call", tags={"model": "gpt-4"}, clock=lambda: next(ticks))
    with pytest.raises(RuntimeError), timer:
        raise RuntimeError("boom")
    with timer:
        pass
    histogram = log.metrics.histogram("call.duration_ms", {"model": "gpt-4"})
    assert (histogram.count, histogram.total) == (2, 750.0)
    assert log.metrics.counter("call.errors", {"model": "gpt-4"}).value == 1
    first, second = sink.events
    assert first["tags"] == {"model": "gpt-4"}
    assert first["error"] == "RuntimeError"
    assert "error" not in second.fields  # the second use does not inherit the first's error

from __future__ import annotations

import io
import json

import pytest

from powertools.logging import (
    ConfigurationError,
    Level,
    QueryError,
    StructuredLogger,
    clear_context,
)
from powertools.logging.sinks.console import ConsoleSink
from powertools.logging.testing import MemorySink


def test_levels_filter_and_name_events() -> None:
    sink = MemorySink()
    log = StructuredLogger("lv", sinks=[sink], level="warning")
    log.debug("d")
    log.info("i")
    log.warning("w")
    log.error("e")
    log.critical("c")
    log.log("info", "i2")
    log.log(Level.ERROR, "e2")
    assert [(e.event, e.level.name) for e in sink.events] == [
        ("w", "WARNING"),
        ("e", "ERROR"),
        ("c", "CRITICAL"),
        ("e2", "ERROR"),
    ]
    debug = StructuredLogger("lv", sinks=[sink], level=10)
    debug.debug("now")
    assert sink.events[-1].event == "now"
    assert repr(debug) == "StructuredLogger('lv', level='debug')"


def test_bad_level_says_what_to_use() -> None:
    with pytest.raises(ConfigurationError, match="use one of debug, info"):
        StructuredLogger("x", sinks=[], level="loud")


def test_sink_level_applies_per_sink() -> None:
    everything, errors_only = MemorySink(), MemorySink(level=40)
    log = StructuredLogger("s", sinks=[everything, errors_only])
    log.info("a")
    log.error("b")
    assert [r.event for r in everything.records] == ["a", "b"]
    assert [r.event for r in errors_only.records] == ["b"]


def test_exception_carries_the_traceback() -> None:
    sink = MemorySink()
    log = StructuredLogger("x", sinks=[sink])
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("failed", step=3)
    (event,) = sink.events
    assert event.level is Level.ERROR
    assert "RuntimeError: boom" in event["exception"]


def test_metric_event_and_aggregate_and_emf() -> None:
    sink = MemorySink()
    log = StructuredLogger("m", sinks=[sink], emf_namespace="powertools", clock=lambda: 10.0)
    log.metric("latency", 12.5, tags={"model": "gpt-4"}, unit="Milliseconds")
    log.metric("latency", 7.5, tags={"model": "gpt-4"}, unit="Milliseconds")
    event = sink.events[0]
    assert event.event == "metric"
    assert event["value"] == 12.5
    assert event["_aws"]["CloudWatchMetrics"][0]["Metrics"] == [
        {"Name": "latency", "Unit": "Milliseconds"}
    ]
    assert event["latency"] == 12.5
    assert event["_aws"]["Timestamp"] == 10_000
    summaries = log.flush_metrics(process=False)
    (hist,) = summaries
    assert hist["count"] == 2
    assert hist["min"] == 7.5
    assert hist["max"] == 12.5
    assert sink.events[-1].event == "metrics"


def test_flush_metrics_reports_process_usage() -> None:
    log = StructuredLogger("m", sinks=[MemorySink()])
    names = {s["metric"] for s in log.flush_metrics()}
    assert "process.cpu_seconds" in names


def test_timer_logs_durations_with_an_injected_clock() -> None:
    sink = MemorySink()
    log = StructuredLogger("t", sinks=[sink])
    ticks = iter([1.0, 1.25, 2.0, 2.5, 3.0, 3.5])

    def clock() -> float:
        return next(ticks)

    with log.timer("llm_call", clock=clock, model="gpt-4") as timer:
        pass
    assert timer.duration_ms == 250.0
    with pytest.raises(ValueError), log.timer("llm_call", clock=clock):
        raise ValueError("bad")

    @log.timer("decorated", clock=clock)
    def work(x: int) -> int:
        return x * 2

    assert work(2) == 4
    events = sink.events
    assert [(e.event, e["status"], e["duration_ms"]) for e in events] == [
        ("llm_call", "ok", 250.0),
        ("llm_call", "error", 500.0),
        ("decorated", "ok", 500.0),
    ]
    assert events[1]["error"] == "ValueError"
    summary = {s["metric"]: s for s in log.flush_metrics(process=False)}
    assert summary["llm_call.errors"]["value"] == 1
    assert summary["llm_call.calls"]["value"] == 2
    assert summary["llm_call.duration_ms"]["max"] == 500.0
    assert summary["llm_call.error_rate"]["value"] == 0.5
    assert summary["decorated.error_rate"]["value"] == 0.0


async def test_timer_works_with_async_with_and_coroutine_functions() -> None:
    sink = MemorySink()
    log = StructuredLogger("t", sinks=[sink])
    ticks = iter([0.0, 0.001, 1.0, 1.5])
    async with log.timer("step", clock=lambda: next(ticks)):
        pass

    @log.timer("fetch", clock=lambda: next(ticks))
    async def fetch() -> str:
        return "page"

    assert await fetch() == "page"
    assert [(e.event, e["duration_ms"]) for e in sink.events] == [
        ("step", 1.0),
        ("fetch", 500.0),
    ]


def test_query_without_a_queryable_sink_says_how_to_fix() -> None:
    log = StructuredLogger("q", sinks=[ConsoleSink(io.StringIO())])
    with pytest.raises(QueryError, match="add a SqliteSink"):
        log.query(event_type="x")


def test_query_validates_its_terms() -> None:
    log = StructuredLogger("q", sinks=[MemorySink()])
    with pytest.raises(QueryError, match="ISO date"):
        log.query(start_time="last tuesday")
    with pytest.raises(QueryError, match="at least 1"):
        log.query(limit=0)
    with pytest.raises(QueryError, match="dotted path"):
        log.query(filters={"a'; drop": 1})
    with pytest.raises(QueryError, match="str, number"):
        log.query(filters={"a": [1]})


def test_sinks_by_name_and_url(tmp_path) -> None:
    log = StructuredLogger(
        "n", sinks=["console", f"sqlite://{tmp_path}/a.db", f"file://{tmp_path}/a.jsonl"]
    )
    log.info("hello")
    log.flush()
    assert len(log.query(event_type="hello")) == 1
    assert json.loads((tmp_path / "a.jsonl").read_text())["event"] == "hello"
    log.close()
    with pytest.raises(ConfigurationError, match="no sink named 'nope'"):
        StructuredLogger("n", sinks=["nope"])


def test_console_json_and_human(capsys: pytest.CaptureFixture[str]) -> None:
    buffer = io.StringIO()
    log = StructuredLogger("c", sinks=[ConsoleSink(buffer), ConsoleSink(human=True)])
    log.info("ready", port=8080)
    log.flush()
    assert json.loads(buffer.getvalue())["port"] == 8080
    human = capsys.readouterr().err
    assert "INFO" in human
    assert " c ready " in human
    assert "port=8080" in human
    log.close()
    clear_context()


def test_default_console_shows_warnings_only(capsys: pytest.CaptureFixture[str]) -> None:
    log = StructuredLogger("d")
    log.info("quiet")
    log.warning("loud")
    err = capsys.readouterr().err
    assert "loud" in err
    assert "quiet" not in err


def test_fields_named_like_the_lines_own_members_are_renamed() -> None:
    sink = MemorySink()
    log = StructuredLogger("r", sinks=[sink])
    log.info("clicked", event="button", time="later", level=3, logger="other")
    (event,) = sink.events
    assert (event.event, event.logger) == ("clicked", "r")
    assert event["_event"] == "button"
    assert event["_time"] == "later"
    assert event["_level"] == 3
    assert event["_logger"] == "other"
    assert sink.lines[0].count('"event"') == 1

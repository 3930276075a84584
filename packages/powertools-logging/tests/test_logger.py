from __future__ import annotations

import io
import json
import threading
from typing import Any

import pytest

from powertools.logging import (
    BatchSink,
    ConfigurationError,
    Level,
    QueryError,
    SinkError,
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


def test_assigning_the_level_and_changing_the_sinks_take_effect() -> None:
    from powertools.logging.testing import MemorySink

    first, second = MemorySink(), MemorySink()
    log = StructuredLogger("m", sinks=[first], level="warning")
    child = log.bind(component="c")
    log.info("hidden")
    log.level = "debug"  # type: ignore[assignment]  # a name, as in the constructor
    log.debug("shown")
    assert log.level.name == "DEBUG"
    log.sinks.append(second)  # before: silently ignored
    log.info("both")
    child.warning("from the child")  # a bound logger shares the sinks
    assert [r.event for r in first.records] == ["shown", "both", "from the child"]
    assert [r.event for r in second.records] == ["both", "from the child"]
    log.sinks.remove(first)
    log.info("second only")
    assert [r.event for r in second.records][-1] == "second only"
    assert first.records[-1].event == "from the child"
    log.sinks = [first]
    log.level = 40  # type: ignore[assignment]
    log.warning("dropped")
    log.error("kept")
    assert first.records[-1].event == "kept"


def test_service_sink_urls_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    from powertools.logging._registry import resolve_sink
    from powertools.logging.sinks.cloudwatch import CloudWatchSink
    from powertools.logging.sinks.datadog import DatadogSink
    from powertools.logging.sinks.kafka import KafkaSink
    from powertools.logging.sinks.pubsub import PubSubSink

    monkeypatch.setenv("DD_API_KEY", "k")
    made = [
        resolve_sink("datadog://?service=api&tags=env:prod"),
        resolve_sink("datadog://127.0.0.1:9/api/v2/logs?tls=false"),
        resolve_sink("pubsub://projects/p/topics/t?endpoint=http://127.0.0.1:9"),
        resolve_sink("cloudwatch:///aws/lambda/app?stream=web&region=eu-west-1&create=false"),
        resolve_sink("kafka://127.0.0.1:9,127.0.0.2:9?topic=logs"),
    ]
    try:
        dd, local_dd, pubsub, cloudwatch, kafka = made
        assert isinstance(dd, DatadogSink)
        assert dd.url == "https://http-intake.logs.datadoghq.com/api/v2/logs"
        assert dd._meta["service"] == "api"
        assert isinstance(local_dd, DatadogSink)
        assert local_dd.url == "http://127.0.0.1:9/api/v2/logs"
        assert isinstance(pubsub, PubSubSink)
        assert pubsub.url == "http://127.0.0.1:9/v1/projects/p/topics/t:publish"
        assert isinstance(cloudwatch, CloudWatchSink)
        assert (cloudwatch.log_group, cloudwatch.log_stream) == ("/aws/lambda/app", "web")
        assert isinstance(kafka, KafkaSink)
        assert (kafka._bootstrap, kafka.topic) == ("127.0.0.1:9,127.0.0.2:9", "logs")
    finally:
        for sink in made:
            sink.close()
    with pytest.raises(ConfigurationError, match="option 'colour' is not one of"):
        resolve_sink("datadog://?colour=red")
    with pytest.raises(ConfigurationError, match="names no log group"):
        resolve_sink("cloudwatch://?region=eu-west-1")


class _Stuck(BatchSink):
    """A sink whose delivery hangs until ``gate`` is set."""

    name = "stuck"

    def __init__(self, gate: threading.Event) -> None:
        self.gate = gate
        super().__init__(max_queue=10)

    def send_batch(self, batch: list[Any]) -> None:
        self.gate.wait(30)


def test_close_gives_all_sinks_one_deadline_and_flush_tries_them_all(
    capsys: pytest.CaptureFixture[str],
) -> None:
    gate = threading.Event()
    stuck = [_Stuck(gate), _Stuck(gate)]
    memory = MemorySink()
    log = StructuredLogger("c", sinks=[*stuck, memory])
    for n in range(5):
        log.info("e", n=n)
    for sink in stuck:
        with pytest.raises(SinkError, match="the stuck sink could not deliver its queue"):
            sink.flush(timeout=0.01)
    closer = threading.Thread(target=log.close, kwargs={"timeout": 0.2})
    closer.start()
    closer.join(30)
    assert not closer.is_alive()
    assert [s.stats.undelivered for s in stuck] == [5, 5]
    assert capsys.readouterr().err.count("could not deliver 5 events") == 2
    gate.set()


def test_a_failing_flush_does_not_skip_the_other_sinks() -> None:
    class Failing(MemorySink):
        def flush(self) -> None:
            raise SinkError("the failing sink is down")

    class Counting(MemorySink):
        flushed = 0

        def flush(self) -> None:
            self.flushed += 1

    counting = Counting()
    log = StructuredLogger("f", sinks=[Failing(), counting, Failing()])
    with pytest.raises(SinkError, match="the failing sink is down; the failing sink is down"):
        log.flush()
    assert counting.flushed == 1


def test_loggers_without_sinks_share_one_embedded_store(data_folder) -> None:
    first, second = StructuredLogger("one"), StructuredLogger("two")
    assert first.sinks[1] is second.sinks[1]
    first.info("from_one")
    second.info("from_two")
    assert [e.event for e in second.query()] == ["from_one", "from_two"]
    assert first.sinks[1].path == data_folder / "events.db"  # type: ignore[attr-defined]


def test_every_change_to_the_sink_list_retargets_the_logger() -> None:
    a, b, c = MemorySink(), MemorySink(), MemorySink()
    log = StructuredLogger("l", sinks=[])
    log.sinks.extend([a, b])
    log.info("1")
    log.sinks.insert(0, c)
    log.info("2")
    assert log.sinks.pop() is b
    log.info("3")
    log.sinks[0] = b
    log.info("4")
    del log.sinks[0]
    log.info("5")
    log.sinks += [c]
    log.info("6")
    assert [r.event for r in a.records] == ["1", "2", "3", "4", "5", "6"]
    assert [r.event for r in b.records] == ["1", "2", "4"]
    assert [r.event for r in c.records] == ["2", "3", "6"]
    log.sinks.clear()
    log.info("7")
    assert [len(s.records) for s in (a, b, c)] == [6, 3, 3]


def test_sinks_given_by_name_can_be_added_to_the_list(tmp_path) -> None:
    from powertools.logging.sinks.file import FileSink

    log = StructuredLogger("n", sinks=[])
    log.sinks.extend([f"file://{tmp_path / 'a.jsonl'}"])
    log.sinks.insert(0, f"jsonl://{tmp_path / 'b.jsonl'}")
    log.info("both")
    log.close()
    assert all(isinstance(s, FileSink) for s in log.sinks)
    for name in ("a.jsonl", "b.jsonl"):
        assert json.loads((tmp_path / name).read_text())["event"] == "both"


def test_a_level_method_taken_from_the_class_still_honours_the_level() -> None:
    sink = MemorySink()
    log = StructuredLogger("c", sinks=[sink], level="critical")
    for method in (
        StructuredLogger.debug,
        StructuredLogger.info,
        StructuredLogger.warning,
        StructuredLogger.error,
        StructuredLogger.exception,
    ):
        method(log, "below")
    assert sink.records == []
    StructuredLogger.critical(log, "shown")  # critical is the highest level: always logged
    assert [r.event for r in sink.records] == ["shown"]


def test_exception_outside_an_except_block_logs_an_error_without_a_traceback() -> None:
    sink = MemorySink()
    StructuredLogger("x", sinks=[sink]).exception("odd", step=1)
    (event,) = sink.events
    assert (event.event, event.level, event["step"]) == ("odd", Level.ERROR, 1)
    assert "exception" not in event


def test_new_trace_puts_its_id_on_every_later_event() -> None:
    sink = MemorySink()
    log = StructuredLogger("t", sinks=[sink])
    assert log.new_trace("trace-42") == "trace-42"
    log.info("first")
    generated = log.new_trace()
    log.info("second")
    assert [e["trace_id"] for e in sink.events] == ["trace-42", generated]
    assert generated != "trace-42"

from __future__ import annotations

import logging

import pytest

from powertools.logging import StructuredLogger
from powertools.logging.sinks.bridges import (
    LoguruSink,
    StdlibHandler,
    StdlibSink,
    loguru_handler,
)
from powertools.logging.testing import MemorySink


def test_stdlib_records_flow_into_structured_events() -> None:
    sink = MemorySink()
    target = StructuredLogger("bridge", sinks=[sink], level="debug")
    std = logging.getLogger("thirdparty.http")
    std.setLevel(logging.DEBUG)
    handler = StdlibHandler(target)
    std.addHandler(handler)
    try:
        std.info("request %s done", "GET", extra={"status": 200})
        try:
            raise KeyError("k")
        except KeyError:
            std.exception("boom")
    finally:
        std.removeHandler(handler)
    first, second = sink.events
    assert first.event == "request GET done"
    assert first["status"] == 200
    assert first["stdlib_logger"] == "thirdparty.http"
    assert second.level.name == "ERROR"
    assert "KeyError" in second["exception"]


def test_structured_events_flow_into_stdlib(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="powertools.out")
    log = StructuredLogger("s", sinks=[StdlibSink("powertools.out")])
    log.warning("disk_low", free=3)
    log.flush()
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert '"free":3' in record.getMessage()
    log.close()


def test_loguru_both_ways() -> None:
    from loguru import logger

    sink = MemorySink()
    target = StructuredLogger("lg", sinks=[sink])
    handler_id = logger.add(loguru_handler(target), level="INFO")
    try:
        logger.bind(user="ada").success("saved")
        try:
            raise ValueError("nope")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.remove(handler_id)
    saved, failed = sink.events
    assert (saved.event, saved.level.name, saved["user"]) == ("saved", "INFO", "ada")
    assert failed.level.name == "ERROR"
    assert failed["exception"] == "nope"

    seen: list[dict[str, object]] = []
    sink_id = logger.add(lambda m: seen.append(m.record), level="INFO")
    try:
        out = StructuredLogger("to-loguru", sinks=[LoguruSink()])
        out.error("payment_failed", amount=3)
        out.flush()
        out.close()
    finally:
        logger.remove(sink_id)
    (record,) = seen
    assert record["message"] == "payment_failed"
    assert record["extra"]["amount"] == 3


def test_flushing_the_stdlib_sink_flushes_the_stdlib_loggers_handlers() -> None:
    class Counting(logging.Handler):
        flushed = 0

        def emit(self, record: logging.LogRecord) -> None:
            pass

        def flush(self) -> None:
            self.flushed += 1

    handler = Counting()
    target = logging.getLogger("powertools.flushed")
    target.addHandler(handler)
    try:
        log = StructuredLogger("s", sinks=[StdlibSink("powertools.flushed")])
        log.flush()
        assert handler.flushed == 1
        log.close()  # closing flushes too, and leaves the stdlib logger configured
        assert handler.flushed == 2
        assert handler in target.handlers
    finally:
        target.removeHandler(handler)


def test_a_stdlib_record_that_cannot_be_formatted_is_reported_the_stdlib_way(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sink = MemorySink()
    std = logging.getLogger("thirdparty.broken")
    std.propagate = False  # pytest's own capture handler raises on such a record
    handler = StdlibHandler(StructuredLogger("bridge", sinks=[sink]))
    std.addHandler(handler)
    try:
        std.warning("%d items", "not a number")  # the caller's bug, met when formatting
        std.warning("still %s", "working")
    finally:
        std.removeHandler(handler)
        std.propagate = True
    assert [e.event for e in sink.events] == ["still working"]
    err = capsys.readouterr().err
    assert "--- Logging error ---" in err
    assert "%d format: a real number is required" in err

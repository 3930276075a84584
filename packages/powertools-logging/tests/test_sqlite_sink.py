from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from powertools.logging import (
    ConfigurationError,
    Level,
    LogEvent,
    Query,
    QueryError,
    StructuredLogger,
)
from powertools.logging.sinks.sqlite import SqliteSink, sql_where


def test_queries_filter_on_time_event_level_logger_and_json_fields(tmp_path: Path) -> None:
    sink = SqliteSink(
        tmp_path / "q.db", max_batch=7, retention_days=None
    )  # its clock is in the past
    times = iter(float(1_767_225_600 + n * 3600) for n in range(100))
    log = StructuredLogger("svc", sinks=[sink], clock=lambda: next(times), level="debug")
    for n in range(60):
        model = "gpt-4" if n % 3 == 0 else "claude"
        log.info("llm_call", model=model, n=n, usage={"tokens": n * 10}, cached=n % 2 == 0)
    log.warning("slow", n=60)
    other = StructuredLogger("other", sinks=[sink], clock=lambda: next(times))
    other.error("llm_call", model="gpt-4", n=61)

    assert len(log.query(event_type="llm_call")) == 61
    gpt = log.query(event_type="llm_call", filters={"model": "gpt-4"})
    assert [e["n"] for e in gpt] == [*range(0, 60, 3), 61]
    assert log.query(filters={"usage.tokens": 120})[0]["n"] == 12
    assert len(log.query(filters={"cached": True, "model": "claude"})) == 20
    assert len(log.query(event_type="llm_call", logger="other")) == 1
    assert [e.event for e in log.query(level="warning")] == ["slow", "llm_call"]
    day_one = log.query(start_time="2026-01-01", end_time="2026-01-01")
    assert [e["n"] for e in day_one] == list(range(24))
    newest = log.query(event_type="llm_call", limit=5)
    assert [e["n"] for e in newest] == [56, 57, 58, 59, 61]
    assert newest[-1].level is Level.ERROR
    assert sink.count() == 62
    assert log.count(event_type="llm_call", filters={"model": "gpt-4"}) == 21
    assert sink.stats.sent == 62
    assert sink.stats.dropped == 0
    sink.close()


def test_store_survives_reopening(tmp_path: Path) -> None:
    first = SqliteSink(tmp_path / "r.db")
    StructuredLogger("a", sinks=[first]).info("kept", n=1)
    first.close()
    second = SqliteSink(tmp_path / "r.db")
    assert StructuredLogger("a", sinks=[second]).query(event_type="kept")[0]["n"] == 1
    second.close()


def test_every_match_is_returned_and_counted(tmp_path: Path) -> None:
    sink = SqliteSink(tmp_path / "all.db")
    log = StructuredLogger("svc", sinks=[sink])
    for n in range(2500):
        log.info("llm_call", model="gpt-4" if n % 2 else "claude", n=n)
    january = log.query(event_type="llm_call", filters={"model": "gpt-4"})
    assert len(january) == 1250  # before: silently capped at 1,000
    assert [e["n"] for e in january][-1] == 2499
    assert log.count(event_type="llm_call") == 2500
    page = log.query(event_type="llm_call", limit=10)
    assert (len(page), page.total) == (10, 2500)
    sink.close()


def test_a_query_never_holds_up_the_writer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A query that is still reading its rows: logging and flushing carry on meanwhile."""
    sink = SqliteSink(tmp_path / "busy.db")
    log = StructuredLogger("svc", sinks=[sink])
    for n in range(10):
        log.info("before", n=n)
    entered, release = threading.Event(), threading.Event()
    parse = LogEvent.from_json.__func__  # type: ignore[attr-defined]

    def slow_parse(cls: type[LogEvent], line: str | bytes) -> LogEvent:
        entered.set()
        release.wait(30)
        return parse(cls, line)

    monkeypatch.setattr(LogEvent, "from_json", classmethod(slow_parse))
    reader = threading.Thread(target=lambda: log.query(event_type="before").rows())
    reader.start()
    assert entered.wait(30)
    monkeypatch.undo()
    for n in range(500):
        log.info("during", n=n)
    try:
        sink.flush(timeout=10)  # before: the query ran on the writer's thread, so this timed out
        assert sink.count(Query(event_type="during")) == 500
    finally:
        release.set()
        reader.join(30)
    sink.close()


def test_filtered_fields_are_indexed(tmp_path: Path) -> None:
    sink = SqliteSink(tmp_path / "ix.db", index_fields=["tenant", "usage.tokens"])
    StructuredLogger("svc", sinks=[sink]).info("x", model="m", tenant="t1")
    sink.flush()
    db = sqlite3.connect(tmp_path / "ix.db")
    for name, value in (
        ("model", "m"),
        ("user_id", "u"),
        ("trace_id", "t"),
        ("tenant", "t1"),
        ("usage.tokens", 5),
    ):
        where, params = sql_where(Query(filters={name: value}))
        plan = " ".join(
            row[-1]
            for row in db.execute(
                f"EXPLAIN QUERY PLAN SELECT data FROM events WHERE {where}", params
            )
        )
        assert "USING INDEX events_f_" in plan, (name, plan)
    db.close()
    with pytest.raises(QueryError, match="cannot filter on"):
        SqliteSink(tmp_path / "bad.db", index_fields=["bad name"])
    sink.close()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_old_events_are_deleted_by_age(tmp_path: Path) -> None:
    clock = Clock(1_767_225_600.0)
    sink = SqliteSink(tmp_path / "age.db", retention_days=7, clock=clock)
    log = StructuredLogger("svc", sinks=[sink], clock=clock)
    for day in range(20):
        clock.now = 1_767_225_600.0 + day * 86400
        log.info("daily", day=day)
        sink.flush()
    kept = [e["day"] for e in log.query(event_type="daily")]
    assert kept == list(range(12, 20))  # the last seven days and today
    sink.close()


def test_the_oldest_events_go_once_the_store_passes_its_size(tmp_path: Path) -> None:
    clock = Clock(1_767_225_600.0)
    sink = SqliteSink(tmp_path / "size.db", max_bytes=1 << 20, retention_days=None, clock=clock)
    log = StructuredLogger("svc", sinks=[sink], clock=clock)
    padding = "x" * 4000
    for n in range(1000):  # about 4 MB
        clock.now += 6  # a retention pass every 60 s of the fake clock
        log.info("big", n=n, padding=padding)
        if n % 50 == 0:
            sink.flush()
    sink.flush()
    kept = [e["n"] for e in log.query(event_type="big")]
    assert kept[-1] == 999
    assert len(kept) * 4000 < 1.3 * (1 << 20)
    assert kept == list(range(kept[0], 1000))  # the oldest went, in order
    with pytest.raises(ConfigurationError, match="at least 1 MiB"):
        SqliteSink(tmp_path / "tiny.db", max_bytes=10)
    with pytest.raises(ConfigurationError, match="retention_days=0"):
        SqliteSink(tmp_path / "none.db", retention_days=0)
    sink.close()


def test_a_none_filter_matches_a_null_field_not_a_missing_one_as_in_every_store(
    tmp_path: Path,
) -> None:
    from powertools.logging.sinks.file import FileSink
    from powertools.logging.testing import MemorySink

    stores = [SqliteSink(tmp_path / "n.db"), FileSink(tmp_path / "n.jsonl"), MemorySink()]
    for store in stores:
        log = StructuredLogger("n", sinks=[store])
        log.info("call", n=1, model=None)
        log.info("call", n=2)  # no model at all
        log.info("call", n=3, model="gpt-4")
        log.info("call", n=4, usage={"cached": None})
        found = [e["n"] for e in log.query(filters={"model": None})]
        nested = [e["n"] for e in log.query(filters={"usage.cached": None})]
        assert (found, nested, log.count(filters={"model": None})) == ([1], [4], 1), store
        store.close()


def test_a_store_without_retention_keeps_every_event_however_old(tmp_path: Path) -> None:
    clock = Clock(1_767_225_600.0)
    sink = SqliteSink(tmp_path / "all.db", retention_days=None, max_bytes=None, clock=clock)
    log = StructuredLogger("svc", sinks=[sink], clock=clock)
    for year in range(5):
        clock.now = 1_767_225_600.0 + year * 366 * 86400
        log.info("yearly", year=year)
        sink.flush()
    assert [e["year"] for e in log.query(event_type="yearly")] == [0, 1, 2, 3, 4]
    sink.close()

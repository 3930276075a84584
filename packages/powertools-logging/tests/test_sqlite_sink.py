from __future__ import annotations

from pathlib import Path

from powertools.logging import Level, StructuredLogger
from powertools.logging.sinks.sqlite import SqliteSink


def test_queries_filter_on_time_event_level_logger_and_json_fields(tmp_path: Path) -> None:
    sink = SqliteSink(tmp_path / "q.db", max_batch=7)
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

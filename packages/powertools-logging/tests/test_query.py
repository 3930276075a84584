from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from powertools.logging import MissingExtraError, Query, QueryError, StructuredLogger
from powertools.logging._levels import parse_level
from powertools.logging._query import parse_time
from powertools.logging.testing import MemorySink

JAN_1 = 1_767_225_600.0


def test_parse_time_accepts_every_form() -> None:
    assert parse_time(None) is None
    assert parse_time(JAN_1) == JAN_1
    assert parse_time(date(2026, 1, 1)) == JAN_1
    assert parse_time(date(2026, 1, 1), end=True) == JAN_1 + 86400
    assert parse_time(datetime(2026, 1, 1)) == JAN_1  # naive means UTC
    assert parse_time(datetime(2026, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))) == JAN_1
    assert parse_time("2026-01-01T00:00:00Z") == JAN_1
    assert parse_time("2026-01-01T00:00:00", end=True) == JAN_1  # a datetime is exact


def test_memory_queries_match_every_term() -> None:
    sink = MemorySink()
    ticks = iter(JAN_1 + n * 3600 for n in range(10))
    a = StructuredLogger("a", sinks=[sink], clock=lambda: next(ticks), level="debug")
    b = a.bind(component="b")
    a.debug("x", n=0, usage={"tokens": 5})
    a.info("x", n=1)
    a.warning("y", n=2)
    b.error("x", n=3)
    assert [e["n"] for e in a.query(start_time=JAN_1 + 3600, end_time=JAN_1 + 3 * 3600)] == [1, 2]
    assert [e["n"] for e in a.query(level="warning")] == [2, 3]
    assert [e["n"] for e in a.query(event_type="x", filters={"component": "b"})] == [3]
    assert [e["n"] for e in a.query(filters={"usage.tokens": 5})] == [0]
    assert a.query(filters={"usage.tokens.deeper": 5}) == []
    assert [e["n"] for e in a.query(logger="a", limit=2)] == [2, 3]
    assert a.query(logger="nobody") == []
    event = a.query(limit=1)[0]
    assert event.time == datetime(2026, 1, 1, 3, tzinfo=UTC)
    assert event.get("missing", 7) == 7


def test_query_object_defaults() -> None:
    q = Query.build()
    assert (q.event_type, q.start, q.end, q.limit, q.min_level) == (None, None, None, None, 0)


def test_levels_by_name_and_number() -> None:
    assert parse_level("WARN").name == "WARNING"
    assert parse_level(50).name == "CRITICAL"
    with pytest.raises(ValueError, match="unknown log level 15"):
        parse_level(15)


def test_missing_extra_names_the_extra() -> None:
    error = MissingExtraError("postgres", "postgres")
    assert "pip install 'powertools-logging[postgres]'" in str(error)
    assert error.extra == "postgres"


class CountOnlySink(MemorySink):
    """A store whose rows must not be read: ``len()`` of an unlimited query only counts."""

    def query(self, query: Query) -> list:  # type: ignore[type-arg]
        raise AssertionError("rows were read where a count was enough")


def test_len_of_a_query_without_a_limit_only_counts() -> None:
    sink = CountOnlySink()
    log = StructuredLogger("c", sinks=[sink])
    for n in range(7):
        log.info("tick", n=n)
    result = log.query(event_type="tick")
    assert (len(result), result.total, result.truncated) == (7, 7, False)
    assert log.count(event_type="tick") == 7
    assert log.count(event_type="other") == 0


def test_a_limit_is_asked_for_and_the_total_still_known() -> None:
    log = StructuredLogger("c", sinks=[MemorySink()])
    for n in range(1500):
        log.info("tick", n=n)
    everything = log.query(event_type="tick")
    assert len(everything) == 1500  # before: silently 1,000
    assert [e["n"] for e in everything][:2] == [0, 1]
    newest = log.query(event_type="tick", limit=3)
    assert [e["n"] for e in newest] == [1497, 1498, 1499]
    assert (len(newest), newest.total, newest.truncated) == (3, 1500, True)
    assert "3 of 1500 matching events" in repr(newest)
    assert repr(newest).startswith("QueryResult([LogEvent(")
    with pytest.raises(QueryError, match="got 0"):
        log.query(limit=0)


def test_a_third_party_store_without_count_is_counted_by_its_rows() -> None:
    class Rows:
        level = 0

        def __init__(self) -> None:
            self.inner = MemorySink()

        def emit(self, record: Any) -> None:
            self.inner.emit(record)

        def query(self, query: Query) -> list[Any]:
            return self.inner.query(query)

        def flush(self) -> None:
            pass

        def close(self) -> None:
            pass

    log = StructuredLogger("c", sinks=[Rows()])
    log.info("a")
    log.info("b")
    assert log.count() == 2
    assert log.query(limit=1).total == 2


async def test_aquery_reads_its_rows_off_the_loop() -> None:
    log = StructuredLogger("c", sinks=[MemorySink()])
    log.info("a", n=1)
    result = await log.aquery(event_type="a")
    assert [e["n"] for e in result] == [1]


def test_a_result_equals_a_list_of_the_same_events_and_nothing_else() -> None:
    log = StructuredLogger("c", sinks=[MemorySink()])
    log.info("a", n=1)
    result = log.query()
    assert result == list(log.query())
    assert result == tuple(log.query())
    assert result != []
    assert result != "a"  # a string is a sequence too, but never a list of events
    assert result != 1
    assert result.__eq__(1) is NotImplemented

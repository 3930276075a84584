from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from powertools.logging import MissingExtraError, Query, StructuredLogger
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
    assert (q.event_type, q.start, q.end, q.limit, q.min_level) == (None, None, None, 1000, 0)


def test_levels_by_name_and_number() -> None:
    assert parse_level("WARN").name == "WARNING"
    assert parse_level(50).name == "CRITICAL"
    with pytest.raises(ValueError, match="unknown log level 15"):
        parse_level(15)


def test_missing_extra_names_the_extra() -> None:
    error = MissingExtraError("postgres", "postgres")
    assert "pip install 'powertools-logging[postgres]'" in str(error)
    assert error.extra == "postgres"

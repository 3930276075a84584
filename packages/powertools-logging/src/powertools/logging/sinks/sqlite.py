"""SQLite sink: the embedded default store that ``query`` reads.

Records are written in batched transactions by a background thread (the logging call only
queues them); queries run on that same thread after every event queued before them, so a query
always sees what was logged. Indexed on time, event and level; field filters use ``json_extract``.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from powertools.logging._query import Query
from powertools.logging._record import LogEvent, LogRecord
from powertools.logging._sink import BatchSink

__all__ = ["SqliteSink", "sql_where"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, ts REAL NOT NULL, level INTEGER NOT NULL,
    event TEXT NOT NULL, logger TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_event_ts ON events (event, ts);
CREATE INDEX IF NOT EXISTS events_ts ON events (ts);
CREATE INDEX IF NOT EXISTS events_level_ts ON events (level, ts);
"""


def sql_where(query: Query, field_sql: str, mark: str = "?") -> tuple[str, list[Any]]:
    """The WHERE clause (``mark`` placeholders) and parameters shared by the SQL stores.

    ``field_sql`` renders a field filter given its placeholder for the field path and value.

    >>> sql_where(Query(event_type="x", start=1.0), "json_extract(data, {path}) = {value}")
    ('event = ? AND ts >= ?', ['x', 1.0])
    """
    terms: list[tuple[str, Any]] = [
        ("event = {}", query.event_type),
        ("ts >= {}", query.start),
        ("ts < {}", query.end),
        ("logger = {}", query.logger),
        ("level >= {}", query.min_level or None),
    ]
    clauses = [sql.format(mark) for sql, value in terms if value is not None]
    params = [value for _, value in terms if value is not None]
    for name, value in query.filters.items():
        clauses.append(field_sql.format(path=mark, value=mark))
        params.extend(["$." + name, value])
    return " AND ".join(clauses) or "1 = 1", params


class SqliteSink(BatchSink):
    """Store events in a SQLite database file (created with its indexes if missing)."""

    name = "sqlite"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        level: int = 0,
        max_queue: int = 100_000,
        max_batch: int = 1000,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db: sqlite3.Connection | None = None
        super().__init__(level=level, max_queue=max_queue, max_batch=max_batch, policy="block")

    def start(self) -> None:
        """Open the database on the worker thread and create the schema."""
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def stop(self) -> None:
        """Close the database."""
        if self._db is not None:
            self._db.close()

    def send_batch(self, batch: list[LogRecord]) -> None:
        """Insert a batch in one transaction."""
        assert self._db is not None
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO events (ts, level, event, logger, data) VALUES (?, ?, ?, ?, ?)",
                [(r.time, r.level, r.event, r.logger, r.line) for r in batch],
            )

    def _select(self, query: Query) -> list[LogEvent]:
        assert self._db is not None
        where, params = sql_where(query, "json_extract(data, {path}) IS {value}")
        sql = f"SELECT data FROM events WHERE {where} ORDER BY ts DESC LIMIT ?"  # noqa: S608 -- clauses are fixed text; values are parameters
        rows = self._db.execute(sql, [*params, query.limit]).fetchall()
        return [LogEvent.from_json(row[0]) for row in reversed(rows)]

    def query(self, query: Query) -> list[LogEvent]:
        """Matching events, oldest first (the newest ``query.limit`` of them)."""
        return self._worker.submit(lambda: self._select(query)).result()

    def count(self) -> int:
        """How many events the database holds."""
        return int(self._worker.submit(self._count).result())

    def _count(self) -> int:
        assert self._db is not None
        return int(self._db.execute("SELECT count(*) FROM events").fetchone()[0])

"""SQLite sink: the embedded default store that ``query`` reads.

Records are written in batched transactions by a background thread (the logging call only
queues them). Queries and counts run on the calling thread, on a read-only connection of their
own: SQLite's WAL mode lets readers and the writer run together, so a long query never holds
up logging (decision 0506). A query first waits until the writer has stored every event logged
before it, so it always sees them.

Indexed on time, event and level, and on the JSON fields people filter on (:data:`INDEXED`,
plus any passed as ``index_fields``). Old events are deleted by age and by size
(:data:`RETENTION_DAYS`, :data:`MAX_BYTES` by default).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from powertools.logging._query import Query
from powertools.logging._record import LogEvent, LogRecord
from powertools.logging._sink import BatchSink
from powertools.logging.errors import ConfigurationError

__all__ = ["INDEXED", "MAX_BYTES", "RETENTION_DAYS", "SqliteSink", "sql_where"]

INDEXED = ("model", "provider", "user_id", "session_id", "trace_id", "request_id")
RETENTION_DAYS = 30.0  # events older than this are deleted
MAX_BYTES = 1 << 30  # when the stored events pass 1 GiB, the oldest are deleted
_RETENTION_EVERY = 60.0  # seconds between retention passes on the writer thread

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, ts REAL NOT NULL, level INTEGER NOT NULL,
    event TEXT NOT NULL, logger TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_event_ts ON events (event, ts);
CREATE INDEX IF NOT EXISTS events_ts ON events (ts);
CREATE INDEX IF NOT EXISTS events_level_ts ON events (level, ts);
"""


def json_path(name: str) -> str:
    """The SQL literal of a field's JSON path (names are validated by ``Query.build``).

    >>> json_path("usage.tokens")
    '\\'$."usage"."tokens"\\''
    """
    return "'$." + ".".join(f'"{part}"' for part in name.split(".")) + "'"


def _field_index(name: str) -> str:
    # field, then event and time: a filter on the field alone uses it, and the spec's query
    # shape (event + time range + field) is answered from the index alone, a count included
    label = "".join(c if c.isalnum() else "_" for c in name)
    return (
        f"CREATE INDEX IF NOT EXISTS events_f_{label} "
        f"ON events (json_extract(data, {json_path(name)}), event, ts)"
    )


def sql_where(query: Query, mark: str = "?") -> tuple[str, list[Any]]:
    """The WHERE clause (``mark`` placeholders) and parameters of a query's plain terms, and
    of its field filters as SQLite ``json_extract`` terms (which the field indexes serve).

    >>> sql_where(Query(event_type="x", start=1.0, filters={"model": "gpt-4"}))
    ('event = ? AND ts >= ? AND json_extract(data, \\'$."model"\\') = ?', ['x', 1.0, 'gpt-4'])
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
        if value is None:  # a JSON null, not a missing field (as every other store reads it)
            path = json_path(name)
            clauses.append(
                f"json_extract(data, {path}) IS NULL AND json_type(data, {path}) = 'null'"
            )
        else:
            clauses.append(f"json_extract(data, {json_path(name)}) = {mark}")
            params.append(value)
    return " AND ".join(clauses) or "1 = 1", params


class SqliteSink(BatchSink):
    """Store events in a SQLite database file (created with its indexes if missing).

    ``index_fields``: more JSON fields to index, beside :data:`INDEXED`. ``retention_days``
    and ``max_bytes``: delete events older than this (counted from now, or from the newest
    event just stored if that is older), and the oldest once the stored events pass this size
    (``None`` keeps them). Retention runs on the writer's thread once a minute.
    """

    name = "sqlite"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        level: int = 0,
        max_queue: int = 100_000,
        max_batch: int = 1000,
        index_fields: Iterable[str] = (),
        retention_days: float | None = RETENTION_DAYS,
        max_bytes: int | None = MAX_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fields = list(dict.fromkeys([*INDEXED, *index_fields]))
        for name in fields:
            Query.build(filters={name: None})  # the same names a filter accepts
        _check_retention(retention_days, max_bytes)
        self._retention_days, self._max_bytes, self._clock = retention_days, max_bytes, clock
        self._next_retention = 0.0
        with sqlite3.connect(self.path, isolation_level=None) as db:  # schema before any read
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA + ";".join(_field_index(name) for name in fields))
        db.close()
        self._db: sqlite3.Connection | None = None
        self._readers: list[sqlite3.Connection] = []
        self._local = threading.local()
        self._readers_lock = threading.Lock()
        super().__init__(
            level=level, max_queue=max_queue, max_batch=max_batch, policy="block", target=str(path)
        )

    def start(self) -> None:
        """Open the writer's connection on the worker thread."""
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")

    def stop(self) -> None:
        """Close the writer's connection."""
        assert self._db is not None  # the worker stops only a sink whose start() succeeded
        self._db.close()

    def close(self, timeout: float | None = None) -> None:
        """Deliver what is queued, stop the writer and close every reader's connection."""
        super().close(timeout)
        with self._readers_lock:
            for reader in self._readers:
                reader.close()
            self._readers.clear()

    def send_batch(self, batch: list[LogRecord]) -> None:
        """Insert a batch in one transaction (and, once a minute, apply retention)."""
        assert self._db is not None  # start() ran: the worker calls it before any batch
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO events (ts, level, event, logger, data) VALUES (?, ?, ?, ?, ?)",
                [(r.time, r.level, r.event, r.logger, r.line) for r in batch],
            )
        now = self._clock()
        if now >= self._next_retention:
            self._next_retention = now + _RETENTION_EVERY
            # age is counted from now, or from the newest event just stored if that is older
            # (events logged with a past clock, a backfill): what was just written stays
            self._apply_retention(self._db, min(now, max(r.time for r in batch)))

    def _apply_retention(self, db: sqlite3.Connection, now: float) -> None:
        if self._retention_days is not None:
            db.execute("DELETE FROM events WHERE ts < ?", (now - self._retention_days * 86400,))
        if self._max_bytes is None:
            return
        page_size, pages, free = (
            db.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("page_size", "page_count", "freelist_count")
        )
        used = (pages - free) * page_size
        if used > self._max_bytes:  # delete the oldest share beyond the limit, plus a tenth
            share = 1.0 - self._max_bytes / used + 0.1
            db.execute(
                "DELETE FROM events WHERE id <= (SELECT min(id) + CAST((max(id) - min(id)) * ? "
                "AS INTEGER) FROM events)",
                (share,),
            )

    # -- reads, on the caller's thread -------------------------------------------------------
    def _reader(self) -> sqlite3.Connection:
        reader: sqlite3.Connection | None = getattr(self._local, "db", None)
        if reader is None:
            reader = sqlite3.connect(self.path, check_same_thread=False)
            reader.execute("PRAGMA query_only=ON")
            self._local.db = reader
            with self._readers_lock:
                self._readers.append(reader)
        return reader

    def _select(self, query: Query) -> list[LogEvent]:
        where, params = sql_where(query)
        if query.limit is None:
            sql = f"SELECT data FROM events WHERE {where} ORDER BY ts, id"  # noqa: S608 -- clauses are fixed text; values are parameters
            return [LogEvent.from_json(row[0]) for row in self._reader().execute(sql, params)]
        sql = f"SELECT data FROM events WHERE {where} ORDER BY ts DESC, id DESC LIMIT ?"  # noqa: S608 -- fixed clauses; values are parameters
        rows = self._reader().execute(sql, [*params, query.limit]).fetchall()
        return [LogEvent.from_json(row[0]) for row in reversed(rows)]

    def query(self, query: Query) -> list[LogEvent]:
        """Matching events, oldest first (the newest ``query.limit`` of them, if it has one)."""
        self._worker.flush(None)
        return self._select(query)

    def count(self, query: Query | None = None) -> int:
        """How many stored events match ``query`` (all of them without one)."""
        self._worker.flush(None)
        where, params = sql_where(query or Query())
        sql = f"SELECT count(*) FROM events WHERE {where}"  # noqa: S608 -- fixed clauses; values are parameters
        return int(self._reader().execute(sql, params).fetchone()[0])


def _check_retention(days: float | None, max_bytes: int | None) -> None:
    if days is not None and days <= 0:
        raise ConfigurationError(f"retention_days={days}: use a positive number, or None")
    if max_bytes is not None and max_bytes < 1 << 20:
        raise ConfigurationError(f"max_bytes={max_bytes}: use at least 1 MiB (1048576), or None")

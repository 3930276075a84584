"""PostgreSQL sink (the ``postgres`` extra: asyncpg): batched COPY into an indexed table,
queryable by time, event, level and JSON fields (``jsonb`` containment, GIN-indexed)."""

from __future__ import annotations

import json
import re
from typing import Any

from powertools.logging._query import Query
from powertools.logging._record import LogEvent, LogRecord
from powertools.logging._redact import hide_password
from powertools.logging._sink import AsyncBatchSink
from powertools.logging._worker import FullPolicy
from powertools.logging.errors import ConfigurationError, MissingExtraError
from powertools.logging.sinks.sqlite import sql_where

__all__ = ["PostgresSink"]

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS {t} (
    id bigserial PRIMARY KEY, ts double precision NOT NULL, level smallint NOT NULL,
    event text NOT NULL, logger text NOT NULL, data jsonb NOT NULL);
CREATE INDEX IF NOT EXISTS {t}_event_ts ON {t} (event, ts);
CREATE INDEX IF NOT EXISTS {t}_ts ON {t} (ts);
CREATE INDEX IF NOT EXISTS {t}_level_ts ON {t} (level, ts);
CREATE INDEX IF NOT EXISTS {t}_data ON {t} USING gin (data jsonb_path_ops);
"""


def _nested(path: str, value: Any) -> dict[str, Any]:
    out: Any = value
    for part in reversed(path.split(".")):
        out = {part: out}
    return dict(out)


def _numbered(sql: str) -> str:
    parts = sql.split("?")
    return "".join(f"{p}${i}" for i, p in enumerate(parts[:-1], 1)) + parts[-1]


def pg_where(query: Query) -> tuple[str, list[Any]]:
    """The WHERE clause (``?`` placeholders) and its parameters.

    >>> pg_where(Query(event_type="x", filters={"usage.tokens": 5}))
    ('event = ? AND data @> ?::jsonb', ['x', '{"usage": {"tokens": 5}}'])
    """
    plain = Query(query.event_type, query.start, query.end, {}, query.min_level, query.logger)
    where, params = sql_where(plain)
    if query.filters:
        contained: dict[str, Any] = {}
        for path, value in query.filters.items():
            _merge(contained, _nested(path, value))
        where = ("" if where == "1 = 1" else where + " AND ") + "data @> ?::jsonb"
        params.append(json.dumps(contained))
    return where, params


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


class PostgresSink(AsyncBatchSink):
    """Store events in PostgreSQL table ``table`` (created with its indexes if missing).

    Full-queue policy: drop after ``block_timeout`` seconds (default 0), like every network sink,
    so a database that is down never stalls the program; events dropped are counted in
    ``stats.dropped`` and reported at exit. ``policy="block"`` waits for room instead (then a
    database that is down stalls every logging call once the queue is full).
    """

    name = "postgres"

    def __init__(
        self,
        dsn: str,
        *,
        table: str = "powertools_logs",
        level: int = 0,
        max_queue: int = 50_000,
        max_batch: int = 1000,
        policy: FullPolicy = "drop",
        block_timeout: float = 0.0,
    ) -> None:
        try:
            import asyncpg  # noqa: F401 -- fail now, with the extra to install
        except ImportError:
            raise MissingExtraError("postgres", "postgres") from None
        if not _IDENTIFIER.match(table):
            raise ConfigurationError(f"table name {table!r}: use lowercase letters, digits and _")
        self._dsn, self.table = dsn, table
        self._conn: Any = None
        super().__init__(
            level=level,
            max_queue=max_queue,
            max_batch=max_batch,
            policy=policy,
            block_timeout=block_timeout,
            target=f"{hide_password(dsn)} table {table}",
        )

    def __repr__(self) -> str:
        return f"PostgresSink(table={self.table!r}, dsn=<hidden>)"

    async def _connection(self) -> Any:
        if self._conn is None or self._conn.is_closed():
            import asyncpg

            self._conn = await asyncpg.connect(self._dsn)
            await self._conn.execute(_SCHEMA.format(t=self.table))
        return self._conn

    async def asend_batch(self, batch: list[LogRecord]) -> None:
        """COPY the batch into the table."""
        conn = await self._connection()
        await conn.copy_records_to_table(
            self.table,
            records=[(r.time, r.level, r.event, r.logger, r.line) for r in batch],
            columns=["ts", "level", "event", "logger", "data"],
        )

    async def _aselect(self, query: Query) -> list[LogEvent]:
        conn = await self._connection()
        where, params = pg_where(query)
        if query.limit is None:
            sql = f"SELECT data::text FROM {self.table} WHERE {where} ORDER BY ts, id"  # noqa: S608 -- fixed clauses, values are parameters
            rows = await conn.fetch(_numbered(sql), *params)
            return [LogEvent.from_json(row[0]) for row in rows]
        sql = f"SELECT data::text FROM {self.table} WHERE {where} ORDER BY ts DESC, id DESC LIMIT ?"  # noqa: S608 -- as above
        rows = await conn.fetch(_numbered(sql), *params, query.limit)
        return [LogEvent.from_json(row[0]) for row in reversed(rows)]

    async def _acount(self, query: Query) -> int:
        conn = await self._connection()
        where, params = pg_where(query)
        sql = f"SELECT count(*) FROM {self.table} WHERE {where}"  # noqa: S608 -- as above
        return int(await conn.fetchval(_numbered(sql), *params))

    def query(self, query: Query) -> list[LogEvent]:
        """Matching events, oldest first (the newest ``query.limit`` of them, if it has one)."""
        return self._worker.call(lambda: self.run(self._aselect(query)))

    def count(self, query: Query) -> int:
        """How many stored events match ``query``."""
        return int(self._worker.call(lambda: self.run(self._acount(query))))

    async def aclose_client(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            await self._conn.close()

"""PostgreSQL sink (the ``postgres`` extra: asyncpg): batched COPY into an indexed table,
queryable by time, event, level and JSON fields (``jsonb`` containment, GIN-indexed)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from powertools.logging._query import Query
from powertools.logging._record import LogEvent, LogRecord
from powertools.logging._redact import hide_password
from powertools.logging._sink import AsyncBatchSink
from powertools.logging._worker import BatchWorker, FullPolicy
from powertools.logging.errors import ConfigurationError, MissingExtraError, SinkError
from powertools.logging.sinks.sqlite import sql_where

__all__ = ["PostgresSink"]

R = TypeVar("R")
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


class _NoTableError(Exception):
    """The table does not exist yet (nothing was logged): a query finds nothing."""


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

    Queries and counts run on a thread and connection of their own, so a long query never
    holds up delivery (and, with the drop policy, never costs events).
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
        self._read_conn: Any = None
        self._read_runner: asyncio.Runner | None = None
        self._reads: BatchWorker[None] = BatchWorker(
            lambda batch: None,
            name="postgres-reads",
            label=f"the postgres sink's reader at {hide_password(dsn)}",
            on_stop=self._close_reader,
        )
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

    async def _reader(self) -> Any:
        if self._read_conn is None or self._read_conn.is_closed():
            import asyncpg

            self._read_conn = await asyncpg.connect(self._dsn)
        return self._read_conn

    async def _aselect(self, query: Query) -> list[LogEvent]:
        conn = await self._reader()
        where, params = pg_where(query)
        if query.limit is None:
            sql = f"SELECT data::text FROM {self.table} WHERE {where} ORDER BY ts, id"  # noqa: S608 -- fixed clauses, values are parameters
            rows = await conn.fetch(_numbered(sql), *params)
            return [LogEvent.from_json(row[0]) for row in rows]
        sql = f"SELECT data::text FROM {self.table} WHERE {where} ORDER BY ts DESC, id DESC LIMIT ?"  # noqa: S608 -- fixed clauses; values are parameters
        rows = await conn.fetch(_numbered(sql), *params, query.limit)
        return [LogEvent.from_json(row[0]) for row in reversed(rows)]

    async def _acount(self, query: Query) -> int:
        conn = await self._reader()
        where, params = pg_where(query)
        sql = f"SELECT count(*) FROM {self.table} WHERE {where}"  # noqa: S608 -- fixed clauses; values are parameters
        return int(await conn.fetchval(_numbered(sql), *params))

    def _read(self, coro: Callable[[], Coroutine[Any, Any, R]], empty: R) -> R:
        """Run a read on the reader's thread, after the writer has stored what was logged."""
        self._worker.flush()  # read-your-writes; SinkError naming the sink if it is down

        def run() -> R:
            if self._read_runner is None:
                self._read_runner = asyncio.Runner()
            try:
                return self._read_runner.run(coro())
            except Exception as exc:
                import asyncpg

                if isinstance(exc, asyncpg.UndefinedTableError):
                    raise _NoTableError from None  # nothing logged yet: the writer makes it
                raise SinkError(
                    f"{self._reads.label} could not read ({type(exc).__name__}: {exc}): check "
                    "that its server is reachable and the DSN's credentials"
                ) from exc

        try:
            return self._reads.call(run)
        except _NoTableError:
            return empty

    def _close_reader(self) -> None:
        if self._read_runner is not None:
            if self._read_conn is not None:
                self._read_runner.run(self._read_conn.close())
            self._read_runner.close()

    def query(self, query: Query) -> list[LogEvent]:
        """Matching events, oldest first (the newest ``query.limit`` of them, if it has one)."""
        return self._read(lambda: self._aselect(query), [])

    def count(self, query: Query) -> int:
        """How many stored events match ``query``."""
        return self._read(lambda: self._acount(query), 0)

    def close(self, timeout: float | None = None) -> None:
        """Deliver what is queued, then close the writer's and the reader's connections."""
        super().close(timeout)
        self._reads.close(timeout)

    async def aclose_client(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            await self._conn.close()

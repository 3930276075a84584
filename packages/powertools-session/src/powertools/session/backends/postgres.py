"""``postgresql://user@host:port/db``: sessions in two tables, compare-and-swap on the version.

A write is one transaction: ``UPDATE sessions SET version = $new WHERE name = $1 AND version =
$expected`` (or an ``INSERT`` for a new session), then the journal row or the snapshot. asyncpg
runs on a private event-loop thread, so the sync ``Session`` also works inside a running loop.
``durability`` maps to ``synchronous_commit``: none → off, process → local, power → on.
"""

from __future__ import annotations

import re
from collections.abc import Coroutine
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit, urlunsplit

from powertools.session._backend import (
    Durability,
    JournalingBackend,
    Piece,
    Stored,
    Token,
    redact,
    require_extra,
)
from powertools.session._loop_thread import shared_loop
from powertools.session.errors import BackendError, ConflictError

__all__ = ["PostgresBackend"]

T = TypeVar("T")
_SYNC_COMMIT = {"none": "off", "process": "local", "power": "on"}
_TABLE = re.compile(r"[a-z_][a-z0-9_]{0,40}")
# Statements with {t} standing for the (validated) table name.
_SQL = {
    # One statement each: one round trip, one snapshot, atomic on its own.
    "load": (
        "SELECT version, snapshot, ARRAY(SELECT record FROM {t}_journal j "
        "WHERE j.name = $1 ORDER BY j.version) AS records, "
        "(SELECT report FROM {t}_damaged d WHERE d.name = $1) AS marker "
        "FROM {t} WHERE name = $1"
    ),
    "quarantine": (
        "WITH cas AS (SELECT name FROM {t} WHERE name = $1 AND version = $2), "
        "kept AS (INSERT INTO {t}_quarantine (name, label, piece) "
        "SELECT cas.name, l, p FROM cas, unnest($3::text[], $4::bytea[]) AS u(l, p) "
        "ON CONFLICT DO NOTHING), "
        "mark AS (INSERT INTO {t}_damaged (name, report) SELECT name, $5 FROM cas "
        "ON CONFLICT (name) DO UPDATE SET report = EXCLUDED.report) "
        "SELECT count(*) FROM cas"
    ),
    "accept": "DELETE FROM {t}_damaged WHERE name = $1",
    "delete_if": (
        "WITH cas AS (DELETE FROM {t} WHERE name = $1 AND version = $2 RETURNING name), "
        "gone AS (DELETE FROM {t}_journal j USING cas WHERE j.name = cas.name) "
        "SELECT count(*) FROM cas"
    ),
    "append_new": (
        "WITH cas AS (INSERT INTO {t} (name, version) VALUES ($1, $2) "
        "ON CONFLICT (name) DO NOTHING RETURNING name) "
        "INSERT INTO {t}_journal (name, version, record) SELECT name, $2, $3 FROM cas"
    ),
    "append": (
        "WITH cas AS (UPDATE {t} SET version = $2 WHERE name = $1 AND version = $4 "
        "RETURNING name) "
        "INSERT INTO {t}_journal (name, version, record) SELECT name, $2, $3 FROM cas"
    ),
    "replace_new": (
        "WITH cas AS (INSERT INTO {t} (name, version, snapshot) VALUES ($1, $2, $3) "
        "ON CONFLICT (name) DO NOTHING RETURNING name), "
        "gone AS (DELETE FROM {t}_journal j USING cas WHERE j.name = cas.name) "
        "SELECT count(*) FROM cas"
    ),
    "replace": (
        "WITH cas AS (UPDATE {t} SET version = $2, snapshot = $3 "
        "WHERE name = $1 AND version = $4 RETURNING name), "
        "gone AS (DELETE FROM {t}_journal j USING cas WHERE j.name = cas.name) "
        "SELECT count(*) FROM cas"
    ),
    "version": "SELECT version FROM {t} WHERE name = $1",
    "drop_journal": "DELETE FROM {t}_journal WHERE name = $1",
    "drop": "DELETE FROM {t} WHERE name = $1",
    "names": "SELECT name FROM {t} ORDER BY name",
    "create": (
        "CREATE TABLE IF NOT EXISTS {t} "
        "(name text PRIMARY KEY, version bigint NOT NULL, snapshot bytea); "
        "CREATE TABLE IF NOT EXISTS {t}_journal (name text NOT NULL, version bigint NOT NULL, "
        "record bytea NOT NULL, PRIMARY KEY (name, version)); "
        "CREATE TABLE IF NOT EXISTS {t}_quarantine (name text NOT NULL, label text NOT NULL, "
        "piece bytea NOT NULL, kept_at timestamptz NOT NULL DEFAULT now(), "
        "PRIMARY KEY (name, label)); "
        "CREATE TABLE IF NOT EXISTS {t}_damaged (name text PRIMARY KEY, report text NOT NULL)"
    ),
}
_POOLS: dict[tuple[str, str], Any] = {}
_READY: set[tuple[str, str]] = set()


class PostgresBackend(JournalingBackend):
    """Sessions in PostgreSQL (the ``postgres`` extra, asyncpg)."""

    def __init__(self, dsn: str, table: str, durability: Durability) -> None:
        super().__init__(durability)
        if not _TABLE.fullmatch(table):
            raise BackendError(f"table name {table!r}: use lower-case letters, digits and _")
        self.dsn = dsn
        self.table = table
        self.sql = {key: text.replace("{t}", table) for key, text in _SQL.items()}
        self._io = shared_loop()
        self._leases: dict[str, tuple[Any, str]] = {}

    @classmethod
    def from_url(cls, url: str, durability: Durability) -> PostgresBackend:
        """``postgresql://user:password@host:port/db?table=powertools_sessions``."""
        require_extra("asyncpg", "postgres", "the postgresql:// session store")
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        table = query.pop("table", ["powertools_sessions"])[0]
        rest = "&".join(f"{k}={v[0]}" for k, v in query.items())
        return cls(
            urlunsplit(("postgresql", parts.netloc, parts.path, rest, "")), table, durability
        )

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self._io.run(self._reaching(coro))

    async def _arun(self, coro: Coroutine[Any, Any, T]) -> T:
        return await self._io.arun(self._reaching(coro))

    async def _reaching(self, coro: Coroutine[Any, Any, T]) -> T:
        """PostgreSQL's errors and unreachable servers as a ``BackendError``."""
        import asyncpg

        try:
            return await coro
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            where = f"{redact(self.dsn)} table {self.table}"
            raise BackendError(f"{where}: {type(exc).__name__}: {exc}") from exc

    async def _pool(self) -> Any:
        """The connection pool of this DSN (on the I/O loop), with the tables created."""
        import asyncpg

        key = (self.dsn, self.durability)
        pool = _POOLS.get(key)
        if pool is None:
            settings = {"synchronous_commit": _SYNC_COMMIT[self.durability]}
            pool = _POOLS[key] = await asyncpg.create_pool(
                self.dsn, min_size=0, max_size=8, server_settings=settings
            )
        if (self.dsn, self.table) not in _READY:
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", self.table)
                await conn.execute(self.sql["create"])
            _READY.add((self.dsn, self.table))
        return pool

    async def _load(self, name: str) -> Stored | None:
        row = await (await self._pool()).fetchrow(self.sql["load"], name)
        if row is None:
            return None
        where = f"table {self.table} row {name!r}"
        version = int(row["version"])
        records = list(row["records"])
        return Stored(
            row["snapshot"],
            records,
            version,
            version,
            where,
            f"{where} journal",
            sum(map(len, records)),
            marker=row["marker"],
            marker_location=f"table {self.table}_damaged row {name!r}",
            version_is_recorded=True,
        )

    async def _quarantine(
        self, name: str, pieces: list[Piece], report: str, expected: Token
    ) -> Token:
        kept = [p for p in pieces if p.data]
        labels, blobs = [p.label for p in kept], [p.data for p in kept]
        pool = await self._pool()
        args = (name, int(expected or 0), labels, blobs, report)
        if await pool.fetchval(self.sql["quarantine"], *args) != 1:
            raise ConflictError(name, int(expected or 0), None)
        return expected

    async def _accept(self, name: str) -> None:
        await (await self._pool()).execute(self.sql["accept"], name)

    async def _delete_if(self, name: str, expected: Token) -> bool:
        pool = await self._pool()
        return bool(await pool.fetchval(self.sql["delete_if"], name, int(expected or 0)) == 1)

    def quarantine_location(self, name: str) -> str:
        """Rows of ``<table>_quarantine`` for ``name`` (column ``label``)."""
        return f"table {self.table}_quarantine rows {name!r}"

    def quarantine(self, name: str, pieces: list[Piece], report: str, expected: Token) -> Token:
        """Copy the damaged pieces into ``<table>_quarantine`` and mark the session, at once."""
        return self._run(self._quarantine(name, pieces, report, expected))

    def accept(self, name: str) -> None:
        """Delete the mark; the quarantine rows stay."""
        self._run(self._accept(name))

    def delete_if(self, name: str, expected: Token) -> bool:
        """Delete the rows if the version is still ``expected`` (one statement)."""
        return self._run(self._delete_if(name, expected))

    async def aquarantine(
        self, name: str, pieces: list[Piece], report: str, expected: Token
    ) -> Token:
        """Async twin of :meth:`quarantine`."""
        return await self._arun(self._quarantine(name, pieces, report, expected))

    async def aaccept(self, name: str) -> None:
        """Async twin of :meth:`accept`."""
        await self._arun(self._accept(name))

    async def adelete_if(self, name: str, expected: Token) -> bool:
        """Async twin of :meth:`delete_if`."""
        return await self._arun(self._delete_if(name, expected))

    async def _cas(self, kind: str, name: str, version: int, data: bytes, expected: Token) -> Token:
        pool = await self._pool()
        args: tuple[object, ...] = (name, version, data)
        sql = self.sql[f"{kind}_new"]
        if expected:
            sql, args = self.sql[kind], (*args, int(expected))
        if kind == "append":
            done = await pool.execute(sql, *args) == "INSERT 0 1"
        else:
            done = await pool.fetchval(sql, *args) == 1
        if not done:
            found = await pool.fetchval(self.sql["version"], name)
            raise ConflictError(name, int(expected or 0), None if found is None else int(found))
        return version

    async def _delete(self, name: str) -> None:
        pool = await self._pool()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(self.sql["drop_journal"], name)
            await conn.execute(self.sql["drop"], name)

    async def _names(self) -> list[str]:
        pool = await self._pool()
        rows = await pool.fetch(self.sql["names"])
        return [r["name"] for r in rows]

    async def _try_lease(self, name: str, owner: str) -> bool:
        pool = await self._pool()
        conn = await pool.acquire()
        key = f"{self.table}:{name}"
        if await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", key):
            self._leases[owner] = (conn, key)
            return True
        await pool.release(conn)
        return False

    async def _release_lease(self, owner: str) -> None:
        held = self._leases.pop(owner, None)
        if held is not None:
            conn, key = held
            await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", key)
            await (await self._pool()).release(conn)

    def try_lease(self, name: str, owner: str, ttl: float) -> bool:
        """A session-level advisory lock on a connection kept until release (or disconnect)."""
        return self._run(self._try_lease(name, owner))

    def release_lease(self, name: str, owner: str) -> None:
        """Unlock and return the connection to the pool."""
        self._run(self._release_lease(owner))

    def load(self, name: str, recover: bool = False) -> Stored | None:
        """Snapshot and journal, read in one repeatable-read transaction."""
        return self._run(self._load(name))

    def append(
        self, name: str, record: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        """Insert a journal row if the version is still ``expected``."""
        return self._run(self._cas("append", name, version, record, expected))

    def replace(
        self, name: str, snapshot: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        """Store the snapshot and drop the journal if the version is still ``expected``."""
        return self._run(self._cas("replace", name, version, snapshot, expected))

    def delete(self, name: str) -> None:
        """Delete the session's rows."""
        self._run(self._delete(name))

    def names(self) -> list[str]:
        """Every session in the table."""
        return self._run(self._names())

    async def aload(self, name: str, recover: bool = False) -> Stored | None:
        """Async twin of :meth:`load`, awaited without blocking the caller's loop."""
        return await self._arun(self._load(name))

    async def aappend(
        self, name: str, record: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        """Async twin of :meth:`append`."""
        return await self._arun(self._cas("append", name, version, record, expected))

    async def areplace(
        self, name: str, snapshot: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        """Async twin of :meth:`replace`."""
        return await self._arun(self._cas("replace", name, version, snapshot, expected))

    async def adelete(self, name: str) -> None:
        """Async twin of :meth:`delete`."""
        await self._arun(self._delete(name))

    async def anames(self) -> list[str]:
        """Async twin of :meth:`names`."""
        return await self._arun(self._names())

    async def aclose(self) -> None:
        """Pools are shared per DSN and live as long as the process; nothing to do."""

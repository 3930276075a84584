"""The PostgreSQL ledger: budgets shared by every process, one row lock per budget window.

Install with ``pip install 'powertools-cost[postgres]'``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

try:
    import asyncpg
except ImportError as exc:
    from powertools.cost.errors import MissingExtraError

    raise MissingExtraError("the PostgreSQL ledger", "postgres") from exc

from powertools.cost._records import CallRecord
from powertools.cost.errors import LedgerError

__all__ = ["PostgresLedger"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pt_cost_spent (key TEXT PRIMARY KEY, spent NUMERIC(60, 0) NOT NULL);
CREATE TABLE IF NOT EXISTS pt_cost_holds (
    key TEXT NOT NULL, rid TEXT NOT NULL, amount NUMERIC(60, 0) NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (key, rid));
CREATE TABLE IF NOT EXISTS pt_cost_alerts (key TEXT NOT NULL, name TEXT NOT NULL,
    PRIMARY KEY (key, name));
CREATE TABLE IF NOT EXISTS pt_cost_calls (id TEXT PRIMARY KEY, at DOUBLE PRECISION NOT NULL,
    body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS pt_cost_calls_at ON pt_cost_calls (at);
"""


class PostgresLedger:
    """A ledger in PostgreSQL (``postgresql://user@host/db``); tables are created on first use."""

    def __init__(self, dsn: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self.dsn = dsn
        self._sizes = (min_size, max_size)
        self._pool: Any = None
        self._opening = asyncio.Lock()

    @classmethod
    def from_url(cls, url: str) -> PostgresLedger:
        """Connect on first use."""
        return cls(url)

    async def _db(self) -> Any:
        if self._pool is not None:
            return self._pool
        async with self._opening:
            return self._pool or await self._open()

    async def _open(self) -> Any:
        try:
            pool = await asyncpg.create_pool(
                self.dsn, min_size=self._sizes[0], max_size=self._sizes[1]
            )
            async with pool.acquire() as conn:
                await conn.execute("SELECT pg_advisory_lock(724311)")
                try:
                    await conn.execute(_SCHEMA)
                finally:
                    await conn.execute("SELECT pg_advisory_unlock(724311)")
        except (OSError, asyncpg.PostgresError) as exc:
            raise LedgerError(
                f"cannot open the PostgreSQL ledger: {type(exc).__name__}: {exc}"
            ) from exc
        self._pool = pool
        return pool

    @staticmethod
    async def _locked_totals(conn: Any, key: str, now: float) -> tuple[int, int]:
        await conn.execute(
            "INSERT INTO pt_cost_spent VALUES ($1, 0) ON CONFLICT (key) DO NOTHING", key
        )
        spent = await conn.fetchval(
            "SELECT spent FROM pt_cost_spent WHERE key = $1 FOR UPDATE", key
        )
        await conn.execute(
            "DELETE FROM pt_cost_holds WHERE key = $1 AND expires_at <= $2", key, now
        )
        held = await conn.fetchval(
            "SELECT COALESCE(SUM(amount), 0) FROM pt_cost_holds WHERE key = $1", key
        )
        return int(spent), int(held)

    async def reserve(
        self, key: str, limit_fd: int, amount_fd: int, rid: str, *, expires_at: float, now: float
    ) -> bool:
        pool = await self._db()
        async with pool.acquire() as conn, conn.transaction():
            spent, held = await self._locked_totals(conn, key, now)
            if spent + held + amount_fd > limit_fd:
                return False
            await conn.execute(
                "INSERT INTO pt_cost_holds VALUES ($1, $2, $3, $4) ON CONFLICT (key, rid) "
                "DO UPDATE SET amount = EXCLUDED.amount, expires_at = EXCLUDED.expires_at",
                key,
                rid,
                amount_fd,
                expires_at,
            )
            return True

    async def commit(self, key: str, rid: str, amount_fd: int) -> int:
        pool = await self._db()
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("DELETE FROM pt_cost_holds WHERE key = $1 AND rid = $2", key, rid)
            spent = await conn.fetchval(
                "INSERT INTO pt_cost_spent VALUES ($1, $2) ON CONFLICT (key) "
                "DO UPDATE SET spent = pt_cost_spent.spent + EXCLUDED.spent RETURNING spent",
                key,
                amount_fd,
            )
            return int(spent)

    async def release(self, key: str, rid: str) -> None:
        pool = await self._db()
        await pool.execute("DELETE FROM pt_cost_holds WHERE key = $1 AND rid = $2", key, rid)

    async def extend(self, key: str, rid: str, *, expires_at: float, now: float) -> bool:
        pool = await self._db()
        status = await pool.execute(
            "UPDATE pt_cost_holds SET expires_at = $3 WHERE key = $1 AND rid = $2 "
            "AND expires_at > $4",
            key,
            rid,
            expires_at,
            now,
        )
        return bool(status == "UPDATE 1")

    async def totals(self, key: str, now: float) -> tuple[int, int]:
        pool = await self._db()
        async with pool.acquire() as conn, conn.transaction():
            return await self._locked_totals(conn, key, now)

    async def first_alert(self, key: str, name: str) -> bool:
        pool = await self._db()
        status = await pool.execute(
            "INSERT INTO pt_cost_alerts VALUES ($1, $2) ON CONFLICT DO NOTHING", key, name
        )
        return bool(status == "INSERT 0 1")

    async def append(self, record: CallRecord) -> None:
        pool = await self._db()
        await pool.execute(
            "INSERT INTO pt_cost_calls VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
            record.id,
            record.at,
            json.dumps(record.as_dict()),
        )

    async def records(self, since: float | None = None) -> list[CallRecord]:
        pool = await self._db()
        rows = await pool.fetch(
            "SELECT body FROM pt_cost_calls WHERE at >= $1 ORDER BY at, id",
            float("-inf") if since is None else since,
        )
        return [CallRecord.from_dict(json.loads(r["body"])) for r in rows]

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

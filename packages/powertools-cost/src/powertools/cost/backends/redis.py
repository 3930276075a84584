"""The Redis ledger: budgets shared by every process, reservations atomic in Lua.

Every key of one budget window shares a hash tag (``{pt-cost:global-monthly:2026-11}:spent``),
so each script touches one slot and the ledger runs unchanged on Redis Cluster.
Install with ``pip install 'powertools-cost[redis]'``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

try:
    import redis.asyncio as aioredis
    from redis.asyncio.cluster import RedisCluster
    from redis.exceptions import RedisError
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise ImportError("the Redis ledger needs: pip install 'powertools-cost[redis]'") from exc

from powertools.cost._records import CallRecord
from powertools.cost.backends._redis_scripts import COMMIT, EXTEND, RELEASE, RESERVE, TOTALS
from powertools.cost.errors import LedgerError

__all__ = ["RedisLedger"]

# Lua keeps money in two exact double limbs: sums must stay below 2**53 dollars.
_LARGEST = 2**52 * 10**15


def _checked(*amounts: int) -> None:
    if max(amounts) >= _LARGEST:
        raise LedgerError(
            "amounts above $4.5e15 are beyond the Redis ledger's exact range; "
            "use the PostgreSQL or SQLite ledger for them"
        )


class RedisLedger:
    """A ledger on Redis or Redis Cluster (``redis://…``, ``rediss://…``,
    ``redis+cluster://host:port``)."""

    def __init__(self, client: Any, *, prefix: str = "pt-cost", max_in_flight: int = 32) -> None:
        self.client = client
        self.prefix = prefix
        # redis-py refuses commands beyond its pool size instead of queueing them
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._ready = not isinstance(client, RedisCluster)
        self._opening = asyncio.Lock()
        self._reserve = client.register_script(RESERVE)
        self._commit = client.register_script(COMMIT)
        self._release = client.register_script(RELEASE)
        self._extend = client.register_script(EXTEND)
        self._totals = client.register_script(TOTALS)

    @classmethod
    def from_url(
        cls, url: str, *, cluster: bool | None = None, prefix: str = "pt-cost"
    ) -> RedisLedger:
        """Connect lazily; ``redis+cluster://`` (or ``cluster=True``) uses Redis Cluster."""
        is_cluster = cluster if cluster is not None else url.startswith("redis+cluster://")
        plain = url.replace("redis+cluster://", "redis://", 1)
        if is_cluster:
            client: Any = RedisCluster.from_url(plain, max_connections=64)
        else:
            client = aioredis.Redis.from_url(plain, max_connections=64)
        return cls(client, prefix=prefix)

    def _keys(self, key: str) -> list[str]:
        tag = f"{{{self.prefix}:{key}}}"
        return [f"{tag}:spent", f"{tag}:holds", f"{tag}:expiry", f"{tag}:alerts", f"{tag}:done"]

    async def _connect(self) -> None:
        # The cluster client must learn the slot map once, before concurrent commands.
        if self._ready:
            return
        async with self._opening:
            if not self._ready:
                await self.client.initialize()
                self._ready = True

    async def _call(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        await self._connect()
        try:
            async with self._in_flight:
                return await script(keys=keys, args=args)
        except RedisError as exc:
            raise LedgerError(f"the Redis ledger failed: {type(exc).__name__}: {exc}") from exc

    async def reserve(
        self, key: str, limit_fd: int, amount_fd: int, rid: str, *, expires_at: float, now: float
    ) -> bool:
        _checked(limit_fd, amount_fd)
        spent, holds, expiry, *_ = self._keys(key)
        args = [str(limit_fd), str(amount_fd), rid, repr(expires_at), repr(now)]
        return int(await self._call(self._reserve, [spent, holds, expiry], args)) == 1

    async def commit(self, key: str, rid: str, amount_fd: int) -> int:
        _checked(amount_fd)
        spent, holds, expiry, _, done = self._keys(key)
        return int(
            await self._call(self._commit, [spent, holds, expiry, done], [rid, str(amount_fd)])
        )

    async def release(self, key: str, rid: str) -> None:
        _, holds, expiry, *_ = self._keys(key)
        await self._call(self._release, [holds, expiry], [rid])

    async def extend(self, key: str, rid: str, *, expires_at: float, now: float) -> bool:
        _, holds, expiry, *_ = self._keys(key)
        args = [rid, repr(expires_at), repr(now)]
        return int(await self._call(self._extend, [holds, expiry], args)) == 1

    async def totals(self, key: str, now: float) -> tuple[int, int]:
        spent, holds, expiry, *_ = self._keys(key)
        found = await self._call(self._totals, [spent, holds, expiry], [repr(now)])
        return int(found[0]), int(found[1])

    async def first_alert(self, key: str, name: str) -> bool:
        await self._connect()
        async with self._in_flight:
            return int(await self.client.sadd(self._keys(key)[3], name)) == 1

    def _calls(self) -> tuple[str, str]:
        tag = f"{{{self.prefix}:calls}}"
        return f"{tag}:data", f"{tag}:by-time"

    async def append(self, record: CallRecord) -> None:
        data, by_time = self._calls()
        await self._connect()
        async with self._in_flight, self.client.pipeline(transaction=True) as pipe:
            pipe.hset(data, record.id, json.dumps(record.as_dict()))
            pipe.zadd(by_time, {record.id: record.at})
            await pipe.execute()

    async def records(self, since: float | None = None) -> list[CallRecord]:
        data, by_time = self._calls()
        await self._connect()
        async with self._in_flight:
            ids = await self.client.zrangebyscore(
                by_time, "-inf" if since is None else since, "+inf"
            )
            bodies = await self.client.hmget(data, ids) if ids else []
        return [CallRecord.from_dict(json.loads(b)) for b in bodies if b is not None]

    async def aclose(self) -> None:
        await self.client.aclose()

"""The Redis ledger: budgets shared by every process, reservations atomic in Lua.

Every key of one budget window shares a hash tag (``{pt-cost:global-monthly:2026-11}:spent``),
so each script touches one slot and the ledger runs unchanged on Redis Cluster.

Nothing grows forever: a window's keys expire ``keep_windows_for`` after the window ends
(a ``total`` window never does), the commit-idempotency set keeps a day of ids, and the call
log is split per UTC day into ``SHARDS`` hash tags (spread over the cluster's slots), each
expiring ``retain_days`` after its day.
Install with ``pip install 'powertools-cost[redis]'``.
"""

from __future__ import annotations

import asyncio
import json
import time
import zlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

try:
    import redis.asyncio as aioredis
    from redis.asyncio.cluster import RedisCluster
    from redis.exceptions import RedisError
except ImportError as exc:
    from powertools.cost.errors import MissingExtraError

    raise MissingExtraError("the Redis ledger", "redis") from exc

from powertools.cost._records import CallRecord
from powertools.cost.backends._redis_scripts import COMMIT, EXTEND, RELEASE, RESERVE, TOTALS
from powertools.cost.errors import ConfigurationError, LedgerError

__all__ = ["RedisLedger"]

# Lua keeps money in two exact double limbs: sums must stay below 2**53 dollars.
_LARGEST = 2**52 * 10**15
SHARDS = 16  # hash tags per day of the call log
_DONE_FOR = 86_400.0  # seconds a committed id is remembered (a retry comes within seconds)
_DAY = 86_400.0


def window_end(key: str) -> float | None:
    """When a budget key's window ends at the latest (UTC+14), from its ``:window`` suffix.

    >>> window_end("global:2026-11") == datetime(2026, 12, 1, 14, tzinfo=UTC).timestamp()
    True
    >>> window_end("global:2026-11-30"), window_end("fleet:all")
    (1796133600.0, None)
    """
    suffix = key.rpartition(":")[2]
    try:
        if len(suffix) == 7:
            first = datetime.strptime(suffix, "%Y-%m").replace(tzinfo=UTC)
            end = (first + timedelta(days=32)).replace(day=1)
        elif len(suffix) == 10:
            end = datetime.strptime(suffix, "%Y-%m-%d").replace(tzinfo=UTC) + timedelta(days=1)
        else:
            return None
    except ValueError:
        return None
    return (end + timedelta(hours=14)).timestamp()


def _checked(*amounts: int) -> None:
    if max(amounts) >= _LARGEST:
        raise LedgerError(
            "amounts above $4.5e15 are beyond the Redis ledger's exact range; "
            "use the PostgreSQL or SQLite ledger for them"
        )


_SCHEMES = {
    "redis": ("redis", False),
    "rediss": ("rediss", False),
    "redis+cluster": ("redis", True),
    "rediss+cluster": ("rediss", True),
}


def cluster_url(url: str, cluster: bool | None = None) -> tuple[str, bool]:
    """The client URL (``redis://`` or ``rediss://``) and whether it names a cluster.

    >>> cluster_url("rediss+cluster://h:7000/0")
    ('rediss://h:7000/0', True)
    >>> cluster_url("redis://h:6379/6?cluster=true")
    Traceback (most recent call last):
    ...
    powertools.cost.errors.ConfigurationError: redis://...?cluster= is not how a Redis Cluster ...
    """
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise ConfigurationError(
            f"{scheme}:// is not a Redis URL: use redis://, rediss://, redis+cluster:// "
            "or rediss+cluster://"
        )
    bare, is_cluster = _SCHEMES[scheme]
    where = f"{parts.netloc.rpartition('@')[2]}{parts.path}"  # never the password
    if "cluster" in parse_qs(parts.query, keep_blank_values=True) or cluster is not None:
        said = f"{scheme}://...?cluster=" if cluster is None else "cluster="
        raise ConfigurationError(
            f"{said} is not how a Redis Cluster is named: write {bare}+cluster://{where} "
            "instead (redis+cluster://... for a cluster, redis://... for one node)"
        )
    return f"{bare}://{url.partition('://')[2]}", is_cluster


class RedisLedger:
    """A ledger on Redis or Redis Cluster (``redis://…``, ``rediss://…``,
    ``redis+cluster://host:port``, ``rediss+cluster://host:port``).

    A client passed in is used as is (a ``RedisCluster`` is recognised by its type)."""

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = "pt-cost",
        max_in_flight: int = 32,
        keep_windows_for: float = 31 * _DAY,
        retain_days: int = 90,
    ) -> None:
        if keep_windows_for < 0 or type(retain_days) is not int or retain_days < 1:
            raise ValueError(
                f"keep_windows_for must be >= 0 seconds and retain_days a positive int, got "
                f"{keep_windows_for!r} and {retain_days!r}"
            )
        self.client = client
        self.prefix = prefix
        self.keep_windows_for = keep_windows_for
        self.retain_days = retain_days
        self._indexed: set[date] = set()  # days already in the call log's index
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
        cls,
        url: str,
        *,
        cluster: bool | None = None,
        prefix: str = "pt-cost",
        retain_days: int = 90,
    ) -> RedisLedger:
        """Connect lazily to ``redis://`` or ``rediss://`` (one node), ``redis+cluster://`` or
        ``rediss+cluster://`` (a Redis Cluster).

        ``?cluster=`` in the URL and ``cluster=`` are refused: the scheme says "cluster".
        """
        plain, is_cluster = cluster_url(url, cluster)
        if is_cluster:
            client: Any = RedisCluster.from_url(plain, max_connections=64)
        else:
            client = aioredis.Redis.from_url(plain, max_connections=64)
        return cls(client, prefix=prefix, retain_days=retain_days)

    def _ttl(self, key: str, now: float) -> int:
        """Seconds a window's keys live from ``now``: until its end plus the grace (0: ever)."""
        end = window_end(key)
        if end is None:
            return 0
        return max(int(end + self.keep_windows_for - now), int(_DAY))

    def _keys(self, key: str) -> list[str]:
        tag = f"{{{self.prefix}:{key}}}"
        return [f"{tag}:spent", f"{tag}:holds", f"{tag}:expiry", f"{tag}:alerts", f"{tag}:done-at"]

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
        args.append(str(self._ttl(key, now)))
        return int(await self._call(self._reserve, [spent, holds, expiry], args)) == 1

    async def commit(self, key: str, rid: str, amount_fd: int) -> int:
        _checked(amount_fd)
        spent, holds, expiry, _, done = self._keys(key)
        now = time.time()
        args = [rid, str(amount_fd), repr(now), str(self._ttl(key, now)), repr(_DONE_FOR)]
        return int(await self._call(self._commit, [spent, holds, expiry, done], args))

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
        alerts = self._keys(key)[3]
        async with self._in_flight, self.client.pipeline(transaction=True) as pipe:
            pipe.sadd(alerts, name)
            ttl = self._ttl(key, time.time())
            if ttl:
                pipe.expire(alerts, ttl)
            first = (await pipe.execute())[0]
        return int(first) == 1

    def _shard(self, day: date, n: int) -> tuple[str, str]:
        tag = f"{{{self.prefix}:calls:{day.isoformat()}:{n}}}"
        return f"{tag}:data", f"{tag}:by-time"

    def _index(self) -> str:
        return f"{{{self.prefix}:calls}}:days"

    async def append(self, record: CallRecord) -> None:
        day = datetime.fromtimestamp(record.at, UTC).date()
        data, by_time = self._shard(day, zlib.crc32(record.id.encode()) % SHARDS)
        keep = int((self.retain_days + 1) * _DAY)
        await self._connect()
        async with self._in_flight, self.client.pipeline(transaction=True) as pipe:
            pipe.hset(data, record.id, json.dumps(record.as_dict()))
            pipe.zadd(by_time, {record.id: record.at})
            pipe.expire(data, keep)
            pipe.expire(by_time, keep)
            await pipe.execute()
        if day not in self._indexed:
            await self._index_day(day)

    async def _index_day(self, day: date) -> None:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
        async with self._in_flight, self.client.pipeline(transaction=True) as pipe:
            pipe.zadd(self._index(), {day.isoformat(): start})
            pipe.zremrangebyscore(self._index(), "-inf", start - self.retain_days * _DAY)
            await pipe.execute()
        self._indexed.add(day)

    async def records(self, since: float | None = None) -> list[CallRecord]:
        await self._connect()
        low = "-inf" if since is None else since
        async with self._in_flight:
            first = "-inf" if since is None else since - _DAY
            days = await self.client.zrangebyscore(self._index(), first, "+inf")
            shards = [
                self._shard(date.fromisoformat(d.decode()), n) for d in days for n in range(SHARDS)
            ]
            found: list[CallRecord] = []
            for data, by_time in shards:
                ids = await self.client.zrangebyscore(by_time, low, "+inf")
                bodies = await self.client.hmget(data, ids) if ids else []
                found.extend(CallRecord.from_dict(json.loads(b)) for b in bodies if b is not None)
        found.sort(key=lambda r: r.at)
        return found

    async def aclose(self) -> None:
        await self.client.aclose()

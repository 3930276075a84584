"""``redis://host:port/db``: snapshot, journal and version in three keys of one hash slot.

Each write is one Lua script that checks the version and writes, so the compare-and-swap is
atomic; the keys share the hash tag ``{<prefix>:<name>}``, so the same scripts run on Redis
Cluster (``redis+cluster://host:port``, or ``rediss+cluster://`` with TLS; ``redis://`` and
``rediss://`` are one server). A TTL becomes ``PEXPIRE`` on all three keys, refreshed by
every write. Durability is Redis's own (``appendonly``/``appendfsync``): when a durable mode is
asked for and the server cannot give it (persistence off, or ``appendfsync`` short of
``always`` for ``"power"``), a warning says so once per server and mode.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import SplitResult, parse_qs, urlsplit, urlunsplit

from powertools.session._backend import (
    Durability,
    JournalingBackend,
    Piece,
    Stored,
    Token,
    require_extra,
)
from powertools.session.errors import BackendError, ConfigurationError, ConflictError

__all__ = ["RedisBackend", "persistence_gap", "redis_client"]

_log = logging.getLogger("powertools.session")
_WARNED: set[tuple[str, str]] = set()
P = ParamSpec("P")
T = TypeVar("T")


def persistence_gap(config: dict[str, str], durability: Durability) -> str | None:
    """Why a server with this ``CONFIG GET`` output cannot give ``durability``, or None.

    >>> persistence_gap({"appendonly": "no", "save": ""}, "process")
    "persistence is off (appendonly no, save '')"
    >>> persistence_gap({"appendonly": "yes", "appendfsync": "everysec"}, "power")
    'appendfsync is everysec, not always: up to a second of writes is lost on a power cut'
    >>> persistence_gap({"appendonly": "yes", "appendfsync": "always"}, "power") is None
    True
    """
    if durability == "none":
        return None
    if config.get("appendonly") != "yes":
        if not config.get("save"):
            return f"persistence is off (appendonly {config.get('appendonly')}, save '')"
        if durability == "power":
            return "only RDB snapshots are on (appendonly no): writes since the last one are lost"
        return None
    fsync = config.get("appendfsync", "everysec")
    if durability == "power" and fsync != "always":
        return (
            f"appendfsync is {fsync}, not always: up to a second of writes is lost on a power cut"
        )
    return None


_SCHEMES = {
    "redis": ("redis", False),
    "rediss": ("rediss", False),
    "redis+cluster": ("redis", True),
    "rediss+cluster": ("rediss", True),
}


def redis_client(parts: SplitResult, query: dict[str, list[str]]) -> Any:
    """The client a Redis URL names: ``redis://``/``rediss://`` one server (no round trip),
    ``redis+cluster://``/``rediss+cluster://`` a ``RedisCluster``."""
    if "cluster" in query:
        bare = urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))
        raise ConfigurationError(
            f"{bare}?cluster=... is not how a Redis Cluster is named: write "
            f"redis+cluster://{parts.netloc.rpartition('@')[2]}{parts.path} instead "
            "(rediss+cluster:// with TLS)"
        )
    if parts.scheme not in _SCHEMES:
        raise ConfigurationError(
            f"{parts.scheme}:// is not a Redis URL: use redis://, rediss://, redis+cluster:// "
            "or rediss+cluster://"
        )
    scheme, cluster = _SCHEMES[parts.scheme]
    plain = urlunsplit((scheme, parts.netloc, parts.path, "", ""))
    if cluster:
        from redis.cluster import RedisCluster

        return RedisCluster.from_url(plain)
    import redis

    return redis.Redis.from_url(plain)


def _check_persistence(client: Any, where: str, durability: Durability) -> None:
    """Warn once per server and mode when Redis cannot give the durability asked for."""
    if durability == "none" or (where, durability) in _WARNED:
        return
    _WARNED.add((where, durability))
    try:
        config: dict[str, str] = {}
        for key in ("appendonly", "appendfsync", "save"):
            config.update(
                {
                    (k.decode() if isinstance(k, bytes) else k): (
                        v.decode() if isinstance(v, bytes) else str(v)
                    )
                    for k, v in client.config_get(key).items()
                }
            )
    except Exception as exc:
        _log.warning(
            "redis://%s: cannot check persistence (%s); durability=%r is only as good as the "
            "server's appendonly/appendfsync settings",
            where,
            exc,
            durability,
        )
        return
    gap = persistence_gap(config, durability)
    if gap is not None:
        _log.warning(
            "redis://%s cannot give durability=%r: %s; turn on appendonly yes (and appendfsync "
            "always for 'power'), or pass durability='none' to say you accept it",
            where,
            durability,
            gap,
        )


_LOAD = """
return {redis.call('GET', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1),
        tonumber(redis.call('GET', KEYS[3]) or '0'), redis.call('GET', KEYS[4])}
"""

# KEYS: ver, quarantine hash, mark. ARGV: expected, report, then label/bytes pairs.
_QUARANTINE = """
if tonumber(redis.call('GET', KEYS[1]) or '0') ~= tonumber(ARGV[1]) then return 0 end
for i = 3, #ARGV, 2 do redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('SET', KEYS[3], ARGV[2])
return 1
"""

# KEYS: snap, log, ver. ARGV: expected.
_DELETE_IF = """
if tonumber(redis.call('GET', KEYS[3]) or '0') ~= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return 1
"""

# KEYS: snap, log, ver. ARGV: expected, new version, bytes, ttl ms (0: none), mode.
_WRITE = """
local current = tonumber(redis.call('GET', KEYS[3]) or '0')
if current ~= tonumber(ARGV[1]) then return {0, current} end
if ARGV[5] == 'append' then
  redis.call('RPUSH', KEYS[2], ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[3])
  redis.call('DEL', KEYS[2])
end
redis.call('SET', KEYS[3], ARGV[2])
for i = 1, 3 do
  if tonumber(ARGV[4]) > 0 then redis.call('PEXPIRE', KEYS[i], ARGV[4])
  else redis.call('PERSIST', KEYS[i]) end
end
return {1, tonumber(ARGV[2])}
"""


_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _reaching(
    method: Callable[Concatenate[RedisBackend, P], T],
) -> Callable[Concatenate[RedisBackend, P], T]:
    """Redis's own errors (a server down or refusing a command) as a ``BackendError``."""

    @functools.wraps(method)
    def translated(self: RedisBackend, /, *args: P.args, **kwargs: P.kwargs) -> T:
        from redis.exceptions import RedisError

        try:
            return method(self, *args, **kwargs)
        except RedisError as exc:
            raise BackendError(f"redis://{self.url}: {type(exc).__name__}: {exc}") from exc

    return translated


class RedisBackend(JournalingBackend):
    """Sessions on Redis or Redis Cluster (the ``redis`` extra)."""

    def __init__(self, client: Any, prefix: str, url: str, durability: Durability) -> None:
        super().__init__(durability)
        self.client = client
        self.prefix = prefix
        self.url = url
        self._load = client.register_script(_LOAD)
        self._write = client.register_script(_WRITE)
        self._release = client.register_script(_RELEASE)
        self._quarantine = client.register_script(_QUARANTINE)
        self._delete_if = client.register_script(_DELETE_IF)

    @classmethod
    def from_url(cls, url: str, durability: Durability) -> RedisBackend:
        """``redis://[user:password@]host:port/db?prefix=...`` for one server, ``rediss://``
        with TLS; ``redis+cluster://`` (``rediss+cluster://``) for a Redis Cluster."""
        require_extra("redis", "redis", f"the {url.partition(':')[0]}:// session store")
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        client = redis_client(parts, query)
        prefix = query.get("prefix", ["powertools:session"])[0]
        where = parts.netloc.rpartition("@")[2]
        _check_persistence(client, where, durability)
        return cls(client, prefix, where, durability)

    def _keys(self, name: str) -> list[str]:
        tag = f"{{{self.prefix}:{name}}}"
        return [f"{tag}:snap", f"{tag}:log", f"{tag}:ver"]

    def _where(self, name: str) -> str:
        return f"redis://{self.url} key {{{self.prefix}:{name}}}"

    @_reaching
    def load(self, name: str, recover: bool = False) -> Stored | None:
        """Snapshot, journal, version and recovery mark, read in one script (one moment)."""
        tag = f"{{{self.prefix}:{name}}}"
        snap, records, version, marker = self._load(keys=[*self._keys(name), f"{tag}:damaged"])
        if snap is None and not records and not version and marker is None:
            return None
        where = self._where(name)
        return Stored(
            snap,
            list(records),
            int(version),
            int(version),
            f"{where}:snap",
            f"{where}:log",
            sum(map(len, records)),
            marker=None if marker is None else marker.decode("utf-8", "replace"),
            marker_location=f"{where}:damaged",
            version_is_recorded=True,
        )

    def quarantine_location(self, name: str) -> str:
        """The hash ``{prefix:name}:quarantine`` (field: piece label)."""
        return f"{self._where(name)}:quarantine"

    @_reaching
    def quarantine(self, name: str, pieces: list[Piece], report: str, expected: Token) -> Token:
        """Copy the damaged pieces into the quarantine hash and set the mark, in one script."""
        tag = f"{{{self.prefix}:{name}}}"
        args: list[object] = [int(expected or 0), report]
        for piece in pieces:
            if piece.data:
                args += [piece.label, piece.data]
        keys = [f"{tag}:ver", f"{tag}:quarantine", f"{tag}:damaged"]
        if not self._quarantine(keys=keys, args=args):
            raise ConflictError(name, int(expected or 0), None)
        return expected

    @_reaching
    def accept(self, name: str) -> None:
        """Delete the mark; the quarantine hash stays."""
        self.client.delete(f"{{{self.prefix}:{name}}}:damaged")

    @_reaching
    def delete_if(self, name: str, expected: Token) -> bool:
        """Delete the three keys if the version is still ``expected`` (one script)."""
        return bool(self._delete_if(keys=self._keys(name), args=[int(expected or 0)]))

    @_reaching
    def _cas(
        self,
        name: str,
        blob: bytes,
        version: int,
        expected: Token,
        ttl: float | None,
        *,
        mode: str,
    ) -> Token:
        ttl_ms = 0 if ttl is None else max(1, int(ttl * 1000))
        ok, current = self._write(
            keys=self._keys(name), args=[int(expected or 0), version, blob, ttl_ms, mode]
        )
        if not ok:
            raise ConflictError(name, int(expected or 0), int(current))
        return version

    def append(
        self, name: str, record: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        """RPUSH the record if the version is still ``expected``."""
        return self._cas(name, record, version, expected, ttl, mode="append")

    def replace(
        self, name: str, snapshot: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        """SET the snapshot and drop the journal if the version is still ``expected``."""
        return self._cas(name, snapshot, version, expected, ttl, mode="replace")

    @_reaching
    def delete(self, name: str) -> None:
        """Delete the three keys (one slot, so one command)."""
        self.client.delete(*self._keys(name))

    @_reaching
    def try_lease(self, name: str, owner: str, ttl: float) -> bool:
        """``SET {tag}:lease owner NX PX ttl``: expires by itself if the holder dies."""
        key = f"{{{self.prefix}:{name}}}:lease"
        return bool(self.client.set(key, owner, nx=True, px=max(1, int(ttl * 1000))))

    @_reaching
    def release_lease(self, name: str, owner: str) -> None:
        """Delete the lease key only if ``owner`` still holds it."""
        self._release(keys=[f"{{{self.prefix}:{name}}}:lease"], args=[owner])

    @_reaching
    def names(self) -> list[str]:
        """Every session under this prefix (SCAN over every node of a cluster)."""
        head, tail = f"{{{self.prefix}:", "}:ver"
        found = {
            key.decode()[len(head) : -len(tail)]
            for key in self.client.scan_iter(match=f"{head}*{tail}", count=500)
        }
        return sorted(found)

    def close(self) -> None:
        """Close the connection pool."""
        self.client.close()

"""Fleet-wide limits on Redis or Redis Cluster: one Lua script takes every dimension at once.

Needs ``pip install powertools-ratelimit[redis]``. Each acquire is one round trip: a script
reads every limit's TAT, decides with the server's own clock (``TIME``, so the clients' clocks
do not matter) and takes all dimensions or none. Every key of one limiter carries the same hash
tag, ``powertools:ratelimit:{<name>}:<limit>``, so on Redis Cluster they share a slot and the
script runs unchanged; ask for a cluster with ``?cluster=true`` in the URL or ``cluster=True``.

When Redis cannot be reached, the ``on_failure`` policy decides, with no exception escaping
to the caller except under ``"closed"`` (``StoreUnavailableError``, documented):

- ``"local"`` (default): each process limits itself to ``limit / fleet_size``;
- ``"open"``: admit everything;
- ``"closed"``: refuse with ``StoreUnavailableError``.

The switch happens after one failed call (``socket_timeout`` bounds it), is logged once, and
Redis is tried again every ``retry_interval`` seconds.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from powertools.ratelimit._limits import Limit
from powertools.ratelimit._store import MemoryStore
from powertools.ratelimit.errors import ConfigurationError, StoreUnavailableError

__all__ = ["RedisStore", "store_from_url"]

log = logging.getLogger("powertools.ratelimit")

FailurePolicy = Literal["local", "open", "closed"]

# ARGV holds, per key: seconds per unit (as microseconds), burst units, cost units.
TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local wait = 0
local tats = {}
for i = 1, #KEYS do
  local interval = tonumber(ARGV[i * 3 - 2])
  local burst = tonumber(ARGV[i * 3 - 1])
  local cost = tonumber(ARGV[i * 3])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  tats[i] = tat
  if cost > 0 then
    local slack = burst - cost
    if slack < 0 then slack = 0 end
    local need = tat - now - slack * interval
    if need > wait then wait = need end
  end
end
if wait > 0.001 then
  return {0, tostring(wait), tostring(now)}
end
for i = 1, #KEYS do
  local cost = tonumber(ARGV[i * 3])
  if cost > 0 then
    local tat = tats[i] + cost * tonumber(ARGV[i * 3 - 2])
    redis.call('SET', KEYS[i], tostring(tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
  end
end
return {1, '0', tostring(now)}
"""

ADJUST = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
for i = 1, #KEYS do
  local interval = tonumber(ARGV[i * 2 - 1])
  local delta = tonumber(ARGV[i * 2])
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  tat = tat + delta * interval
  if tat > now then
    redis.call('SET', KEYS[i], tostring(tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
  else
    redis.call('DEL', KEYS[i])
  end
end
return 1
"""

_DIM_INDEX = {"requests": 0, "tokens": 1, "input_tokens": 2, "output_tokens": 3}


def limit_keys(name: str, limits: Sequence[Limit]) -> list[str]:
    """The Redis keys of a limiter's limits; all share the hash tag ``{name}``.

    >>> limit_keys("openai", [Limit("requests", 60, 60.0)])
    ['powertools:ratelimit:{openai}:requests_per_minute']
    """
    if "{" in name or "}" in name:
        raise ConfigurationError(f"limiter name {name!r} must not contain braces")
    return [f"powertools:ratelimit:{{{name}}}:{lim.name}" for lim in limits]


class RedisStore:
    """Limit state shared through Redis (or Redis Cluster) by every process of a fleet."""

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        cluster: bool = False,
        on_failure: FailurePolicy = "local",
        fleet_size: int = 1,
        socket_timeout: float = 0.25,
        retry_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if on_failure not in ("local", "open", "closed"):
            raise ConfigurationError(f"on_failure={on_failure!r}: use 'local', 'open' or 'closed'")
        if fleet_size < 1:
            raise ConfigurationError(f"fleet_size={fleet_size!r} must be at least 1")
        self.on_failure = on_failure
        self.fleet_size = fleet_size
        self.retry_interval = retry_interval
        self._clock = clock
        self._url = url
        self._client = _connect(url, cluster, socket_timeout)
        self._take = self._client.register_script(TAKE)
        self._adjust = self._client.register_script(ADJUST)
        self._fallback = MemoryStore(clock=clock)
        self._down_until = -math.inf
        self.round_trips = 0

    def __repr__(self) -> str:
        parts = urlsplit(self._url)
        host = parts.hostname or ""
        shown = urlunsplit((parts.scheme, f"{host}:{parts.port or 6379}", parts.path, "", ""))
        return f"<RedisStore {shown} on_failure={self.on_failure}>"

    @property
    def degraded(self) -> bool:
        """Whether the failure policy is in force right now."""
        return self._clock() < self._down_until

    async def take(
        self, name: str, limits: Sequence[Limit], costs: Sequence[float], scale: float
    ) -> float:
        """Take ``costs`` from every limit of ``name`` in one script call; 0 or the wait."""
        if not limits:
            return 0.0
        if not self.degraded:
            args: list[float] = []
            for lim in limits:
                args += [lim.interval / scale * 1e6, lim.burst, costs[_DIM_INDEX[lim.dimension]]]
            try:
                self.round_trips += 1
                taken, wait, _ = await self._take(keys=limit_keys(name, limits), args=args)
            except (RedisError, OSError) as exc:
                self._went_down(exc)
            else:
                self._came_back()
                return 0.0 if int(taken) else float(wait) / 1e6
        return await self._degraded_take(name, limits, costs, scale)

    async def take_with_server_time(
        self, name: str, limits: Sequence[Limit], costs: Sequence[float], scale: float = 1.0
    ) -> tuple[float, float]:
        """``take`` that also returns the Redis server time (s) it decided at; no fallback."""
        args: list[float] = []
        for lim in limits:
            args += [lim.interval / scale * 1e6, lim.burst, costs[_DIM_INDEX[lim.dimension]]]
        taken, wait, now = await self._take(keys=limit_keys(name, limits), args=args)
        return (0.0 if int(taken) else float(wait) / 1e6), float(now) / 1e6

    async def adjust(
        self, name: str, limits: Sequence[Limit], deltas: Sequence[float], scale: float
    ) -> None:
        """Charge or refund amounts already taken (one script call)."""
        if self.degraded:
            await self._fallback.adjust(name, limits, deltas, scale / self.fleet_size)
            return
        args: list[float] = []
        for lim in limits:
            args += [lim.interval / scale * 1e6, deltas[_DIM_INDEX[lim.dimension]]]
        try:
            self.round_trips += 1
            await self._adjust(keys=limit_keys(name, limits), args=args)
        except (RedisError, OSError) as exc:
            self._went_down(exc)

    async def _degraded_take(
        self, name: str, limits: Sequence[Limit], costs: Sequence[float], scale: float
    ) -> float:
        if self.on_failure == "open":
            return 0.0
        if self.on_failure == "closed":
            raise StoreUnavailableError(
                f"{self!r} is unreachable and on_failure='closed': start Redis, or choose "
                "on_failure='local' to keep serving with limit / fleet_size per process"
            )
        return await self._fallback.take(name, limits, costs, scale / self.fleet_size)

    def _went_down(self, exc: BaseException) -> None:
        if not self.degraded:
            log.warning(
                "rate-limit store %r unreachable (%s); on_failure=%s for %.0f s",
                self,
                type(exc).__name__,
                self.on_failure,
                self.retry_interval,
            )
        self._down_until = self._clock() + self.retry_interval

    def _came_back(self) -> None:
        if self._down_until != -math.inf:
            log.warning("rate-limit store %r reachable again", self)
            self._down_until = -math.inf

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


def _connect(url: str, cluster: bool, socket_timeout: float) -> Any:
    options: dict[str, Any] = {
        "socket_timeout": socket_timeout,
        "socket_connect_timeout": socket_timeout,
    }
    if cluster:
        return RedisCluster.from_url(url, **options)
    return aioredis.Redis.from_url(url, **options)


def store_from_url(url: str) -> RedisStore:
    """Entry point for ``redis://`` and ``rediss://``; ``?cluster=true`` for a cluster."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    cluster = query.pop("cluster", ["false"])[-1].lower() in ("1", "true", "yes")
    rest = "&".join(f"{k}={v[-1]}" for k, v in query.items())
    return RedisStore(urlunsplit(parts._replace(query=rest)), cluster=cluster)

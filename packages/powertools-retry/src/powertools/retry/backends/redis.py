"""A circuit breaker's state shared by every process through Redis (extra ``[redis]``).

>>> from powertools.retry import CircuitBreaker
>>> from powertools.retry.backends.redis import RedisStorage
>>> storage = RedisStorage("redis://127.0.0.1:6379/0", refresh_interval=0.1)
>>> storage
RedisStorage(prefix='powertools:breaker', refresh_interval=0.1, cluster=False)

Use it as ``CircuitBreaker("llm", storage=storage)``. Each process counts its own failures; the
state (closed, open, half-open), its generation and the half-open probe slots live in one Redis
hash per circuit and change only through Lua scripts, so transitions are atomic. A process reads
the state at most once per ``refresh_interval`` (and on its own transitions): a closed circuit
costs no Redis round trip per call, and an open one is refused locally until its recovery time.
The key carries a hash tag (``powertools:breaker:{name}``), so it works on Redis Cluster.
While Redis is unreachable, a breaker keeps the last state it saw (logging a warning at most
once per refresh interval) instead of failing the calls it protects.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

try:
    import redis
    from redis.cluster import RedisCluster
except ImportError as exc:  # pragma: no cover - only without the extra
    raise ImportError(
        "powertools.retry.backends.redis needs the redis extra: "
        "pip install 'powertools-retry[redis]'",
        name="redis",
    ) from exc

from powertools.retry._breaker_state import Admission, CircuitState, StoreSettings
from powertools.retry.errors import RetryConfigError

__all__ = ["RedisStorage", "RedisStore"]

_log = logging.getLogger("powertools.retry")

_LOAD = """
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local h = redis.call('HMGET', key, 'state', 'gen', 'opened_at', 'probes', 'successes', 'probed_at')
local state = h[1] or 'closed'
local gen = tonumber(h[2] or '0')
local opened = tonumber(h[3] or '0')
local probes = tonumber(h[4] or '0')
local successes = tonumber(h[5] or '0')
local probed_at = tonumber(h[6] or '0')
local recovery = tonumber(ARGV[1])
local function move(s)
  state = s; gen = gen + 1; probes = 0; successes = 0
  if s == 'open' then opened = now end
  if s == 'half_open' then probed_at = now end
end
local function save()
  redis.call('HSET', key, 'state', state, 'gen', gen, 'opened_at', opened, 'probes', probes,
             'successes', successes, 'probed_at', probed_at)
end
local function reply(allowed, probe)
  local wait = 0
  if state == 'open' then wait = math.max(0, opened + recovery - now) end
  return {state, gen, allowed, probe, wait}
end
"""

_SNAPSHOT = _LOAD + "return reply(0, 0)"

# ARGV: recovery_ms, max_probes
_ADMIT = (
    _LOAD
    + """
if state == 'closed' then return reply(1, 0) end
if state == 'open' then
  if now < opened + recovery then return reply(0, 0) end
  move('half_open')
elseif now - probed_at >= recovery then
  move('half_open')  -- probes lost with a crashed process: start a fresh round
end
if probes >= tonumber(ARGV[2]) then return reply(0, 0) end
probes = probes + 1
save()
return reply(1, 1)
"""
)

# ARGV: recovery_ms, generation
_TRIP = (
    _LOAD
    + """
if state == 'closed' and gen == tonumber(ARGV[2]) then move('open'); save() end
return reply(0, 0)
"""
)

# ARGV: recovery_ms, generation, outcome ('ok', 'failed', 'cancelled'), max_probes
_SETTLE = (
    _LOAD
    + """
if state == 'half_open' and gen == tonumber(ARGV[2]) then
  if ARGV[3] == 'cancelled' then probes = math.max(0, probes - 1)
  elseif ARGV[3] == 'failed' then move('open')
  else
    successes = successes + 1
    if successes >= tonumber(ARGV[4]) then move('closed') end
  end
  save()
end
return reply(0, 0)
"""
)

# ARGV: recovery_ms, state
_FORCE = _LOAD + "move(ARGV[2]); save(); return reply(0, 0)"


class RedisStorage:
    """Pass as ``CircuitBreaker(storage=...)``: builds the breaker's :class:`RedisStore`.

    Give a ``url`` (``cluster=True`` for a Redis Cluster node) or a ready ``client``.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Any = None,
        cluster: bool = False,
        prefix: str = "powertools:breaker",
        refresh_interval: float = 0.05,
    ) -> None:
        if (url is None) == (client is None):
            raise RetryConfigError("RedisStorage needs exactly one of url= or client=")
        if not refresh_interval > 0:
            raise RetryConfigError(f"refresh_interval={refresh_interval!r} must be > 0 seconds")
        self._url = url
        self._client = client
        self.cluster = cluster
        self.prefix = prefix
        self.refresh_interval = refresh_interval

    def __repr__(self) -> str:  # the URL may hold a password: never shown
        return (
            f"RedisStorage(prefix={self.prefix!r}, refresh_interval={self.refresh_interval}, "
            f"cluster={self.cluster})"
        )

    def client(self) -> Any:
        """The Redis client, created on first use."""
        if self._client is None:
            assert self._url is not None
            factory = RedisCluster if self.cluster else redis.Redis
            self._client = factory.from_url(self._url)
        return self._client

    def __call__(self, settings: StoreSettings) -> RedisStore:
        return RedisStore(self, settings)


class RedisStore:
    """One circuit's state in Redis, with a local copy refreshed every ``refresh_interval``."""

    blocking = True

    def __init__(self, storage: RedisStorage, settings: StoreSettings) -> None:
        client = storage.client()
        self._settings = settings
        self._refresh = storage.refresh_interval
        self._key = f"{storage.prefix}:{{{settings.name}}}"
        self._recovery_ms = int(settings.recovery_timeout * 1000)
        self._scripts = {
            name: client.register_script(source)
            for name, source in (
                ("snapshot", _SNAPSHOT),
                ("admit", _ADMIT),
                ("trip", _TRIP),
                ("settle", _SETTLE),
                ("force", _FORCE),
            )
        }
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()
        self._cached = (CircuitState.CLOSED, 0)
        self._retry_at = 0.0
        self._fetched_at = float("-inf")
        self.round_trips = 0

    def _run(self, script: str, *args: object) -> tuple[bool, bool, float]:
        self.round_trips += 1
        try:
            raw = self._scripts[script](keys=[self._key], args=[self._recovery_ms, *args])
        except redis.RedisError as exc:
            return self._unreachable(script, exc)
        state_raw, generation, allowed, probe, wait_ms = raw
        state = CircuitState(state_raw.decode() if isinstance(state_raw, bytes) else state_raw)
        wait = int(wait_ms) / 1000
        now = self._settings.clock()
        with self._lock:
            old = self._cached[0]
            self._cached = (state, int(generation))
            self._retry_at = now + wait
            self._fetched_at = now
        if old is not state:
            self._settings.on_change(old, state)
        return bool(allowed), bool(probe), wait

    def _unreachable(self, script: str, exc: redis.RedisError) -> tuple[bool, bool, float]:
        # Redis is down: never fail the protected call for it. Keep the last state seen, try
        # again after one refresh interval, and admit calls only while that state is closed.
        self._fetched_at = self._settings.clock()
        _log.warning(
            "circuit %r: Redis unreachable during %s (%s); keeping the last state seen, %s",
            self._settings.name,
            script,
            type(exc).__name__,
            self._cached[0].value,
        )
        return self._cached[0] is CircuitState.CLOSED, False, self._refresh

    def current(self) -> tuple[CircuitState, int]:
        # One thread refreshes; the others keep using the copy instead of queueing round trips.
        if self._stale() and self._refreshing.acquire(blocking=False):
            try:
                self._run("snapshot")
            finally:
                self._refreshing.release()
        return self._cached

    def peek(self) -> tuple[CircuitState, int]:
        return self._cached

    def _stale(self) -> bool:
        return self._settings.clock() - self._fetched_at >= self._refresh

    def admit_cached(self) -> Admission | None:
        if self._stale():
            return None
        state, generation = self._cached
        if state is CircuitState.CLOSED:
            return Admission(True, False, generation)
        wait = self._retry_at - self._settings.clock()
        if state is CircuitState.OPEN and wait > 0:
            return Admission(False, False, generation, wait)
        return None  # half-open, or due for a probe: only Redis can hand out probe slots

    def admit(self) -> Admission:
        self.current()
        local = self.admit_cached()
        if local is not None:
            return local
        allowed, probe, wait = self._run("admit", self._settings.half_open_max_calls)
        return Admission(allowed, probe, self._cached[1], wait)

    def trip(self, generation: int) -> None:
        self._run("trip", generation)

    def settle_probe(self, generation: int, succeeded: bool | None) -> None:
        outcome = "cancelled" if succeeded is None else "ok" if succeeded else "failed"
        self._run("settle", generation, outcome, self._settings.half_open_max_calls)

    def force(self, state: CircuitState) -> None:
        self._run("force", state.value)

"""The response cache (opt-in): identical requests within a TTL answered at zero cost.

The key is a SHA-256 of the request's content (messages, tools, response format, sampling
options) and of the routing constraints (quality bar, latency and cost caps), so a request
that asks for more quality is never answered from a cheaper model's cached answer. Entries
live in memory (bounded, least recently used out first), or in a ``powertools-session`` store
shared by a fleet (``cache_store="redis://..."``: the answer's text, model, usage and tool calls
as JSON, with the store's own expiry where it has one).

>>> from powertools.router._request import Request
>>> cache = ResponseCache(ttl=60, clock=lambda: 0.0)
>>> cache.key(Request.of("hi"), (0.5,)) == cache.key(Request.of("hi"), (0.5,))
True
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from powertools.router._request import Request
from powertools.router.errors import ConfigurationError

__all__ = ["ResponseCache"]


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


class ResponseCache:
    """Answers by request key, each valid for ``ttl`` seconds."""

    def __init__(
        self,
        ttl: float,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        store: str | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if not ttl > 0:
            raise ConfigurationError(f"cache_ttl={ttl!r} must be a positive number of seconds")
        self._store: Any = None
        if store is not None:
            try:
                from powertools.session._backend import open_backend
            except ImportError as exc:
                raise ConfigurationError(
                    "cache_store= needs powertools-session: install 'powertools-router[session]'"
                ) from exc
            self._store = open_backend(store)
        self._wall = wall
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def key(self, request: Request, constraints: Sequence[Any]) -> str:
        """The cache key of ``request`` under ``constraints``."""
        body = json.dumps([_plain(request), _plain(list(constraints))], sort_keys=True)
        import hashlib  # with the first cached route, not with the router

        return hashlib.sha256(body.encode()).hexdigest()

    def get(self, key: str) -> Any:
        """The cached value, or ``None`` (missing or expired)."""
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self._clock():
            if entry is not None:
                del self._entries[key]
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    async def aget_stored(self, key: str) -> dict[str, Any] | None:
        """The answer kept in the shared store under ``key``, if fresh."""
        if self._store is None:
            return None
        stored = await self._store.aload(f"router-cache-{key}")
        if stored is None or stored.snapshot is None:
            return None
        data: dict[str, Any] = json.loads(stored.snapshot)
        if data.get("expires_at", 0.0) <= self._wall():
            return None
        return data

    async def aput_stored(self, key: str, answer: dict[str, Any]) -> None:
        """Keep ``answer`` in the shared store for ``ttl`` seconds (the last writer wins)."""
        if self._store is None:
            return
        name = f"router-cache-{key}"
        body = json.dumps({**answer, "expires_at": self._wall() + self.ttl}).encode()
        stored = await self._store.aload(name)
        token = self._store.initial_token if stored is None else stored.token
        version = 1 if stored is None else stored.version + 1
        try:
            await self._store.areplace(name, body, version, token, self.ttl)
        except Exception as exc:  # another router stored the same answer first: fine
            if type(exc).__name__ != "ConflictError":
                raise

    def put(self, key: str, value: Any) -> None:
        """Keep ``value`` for ``ttl`` seconds."""
        self._entries[key] = (self._clock() + self.ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

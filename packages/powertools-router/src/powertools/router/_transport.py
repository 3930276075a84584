"""The pooled HTTP client every provider shares: one ``httpx.AsyncClient`` per event loop.

An ``httpx.AsyncClient`` belongs to the loop that first used it, and a provider is often built
before any loop runs (``LLMRouter()`` at import time, then ``asyncio.run`` twice). So the client
is made on first use in each loop and kept for that loop only.

The pool is tuned for many concurrent calls (see ``docs/decisions/0600-provider-transport.md``
for the measurements): httpx's default pool of 100 connections queues the rest of 1,000
concurrent requests, and its queue costs time per waiting request.

>>> import asyncio
>>> pool = Pool()
>>> async def same_client():
...     return pool.client() is pool.client()
>>> asyncio.run(same_client())
True
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable

import httpx

__all__ = ["DEFAULT_LIMITS", "Pool", "shared_pool"]

DEFAULT_LIMITS = httpx.Limits(
    max_connections=1000, max_keepalive_connections=1000, keepalive_expiry=30.0
)

ClientFactory = Callable[[], httpx.AsyncClient]


def _tuned_client(limits: httpx.Limits) -> httpx.AsyncClient:
    # httpx imports httpcore's and anyio's asyncio backends on the first connection (0.3-0.5 s
    # on a busy 2-core machine); importing them here keeps that out of the first call's deadline.
    import anyio._backends._asyncio  # noqa: F401
    import httpcore  # noqa: F401

    # Timeouts are set per request from the attempt's deadline, so none here. No transport=
    # argument: with one, httpx would ignore HTTPS_PROXY and friends.
    return httpx.AsyncClient(limits=limits, timeout=None, follow_redirects=False)  # noqa: S113


class Pool:
    """Hands out one pooled ``httpx.AsyncClient`` per running event loop.

    ``factory`` makes the client (for a proxy, custom TLS, or another transport); by default a
    client whose pool holds ``limits`` connections.
    """

    def __init__(
        self, *, limits: httpx.Limits = DEFAULT_LIMITS, factory: ClientFactory | None = None
    ) -> None:
        self._factory = factory or (lambda: _tuned_client(limits))
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]
        self._clients = weakref.WeakKeyDictionary()

    def client(self) -> httpx.AsyncClient:
        """The client of the running loop, made on first use."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            client = self._clients[loop] = self._factory()
        return client

    async def aclose(self) -> None:
        """Close the running loop's client (clients of other loops close with their loop)."""
        loop = asyncio.get_running_loop()
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.aclose()


_shared = Pool()


def shared_pool() -> Pool:
    """The process-wide pool the providers use unless given their own client."""
    return _shared

"""The pooled HTTP client every provider shares: one ``httpx.AsyncClient`` per event loop.

The providers speak httpx, but the connections underneath are aiohttp's (through the
``httpx-aiohttp`` transport, as the OpenAI SDK offers it): with 1,000 concurrent calls,
httpcore's pool spends its time scanning its queue, and aiohttp's C parser and pool do the
same work several times faster (``docs/decisions/0600-provider-transport.md`` has the
measurements). ``POWERTOOLS_ROUTER_TRANSPORT=httpx`` chooses httpcore's pool instead (it is
also the fallback when aiohttp cannot be imported).

An ``httpx.AsyncClient`` (and an aiohttp session) belongs to the loop that first used it, and
a provider is often built before any loop runs (``LLMRouter()`` at import time, then
``asyncio.run`` twice). So the client is made on first use in each loop and kept for that
loop only.

>>> import asyncio
>>> pool = Pool()
>>> async def same_client():
...     client = pool.client()
...     same = client is pool.client()
...     await pool.aclose()
...     return same
>>> asyncio.run(same_client())
True
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Callable

import httpx

__all__ = ["DEFAULT_LIMITS", "Pool", "shared_pool", "transport_name"]

DEFAULT_LIMITS = httpx.Limits(
    max_connections=256, max_keepalive_connections=256, keepalive_expiry=30.0
)
TRANSPORT_VARIABLE = "POWERTOOLS_ROUTER_TRANSPORT"

ClientFactory = Callable[[], httpx.AsyncClient]


def transport_name() -> str:
    """``"aiohttp"`` when ``httpx-aiohttp`` is importable and not switched off, else ``"httpx"``."""
    wanted = os.environ.get(TRANSPORT_VARIABLE, "aiohttp").strip().lower()
    if wanted not in ("aiohttp", "httpx"):
        from powertools.router.errors import ConfigurationError

        raise ConfigurationError(
            f"{TRANSPORT_VARIABLE}={wanted!r} is not 'aiohttp' or 'httpx'; unset it for the default"
        )
    if wanted == "aiohttp":
        try:
            import httpx_aiohttp  # noqa: F401
        except ImportError:
            return "httpx"
    return wanted


def _aiohttp_client(limits: httpx.Limits) -> httpx.AsyncClient:
    import aiohttp
    from httpx_aiohttp import AiohttpTransport

    def session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=limits.max_connections or 0,
            keepalive_timeout=limits.keepalive_expiry or 15.0,
        )
        # trust_env: HTTPS_PROXY and friends, which httpx would read without a transport.
        return aiohttp.ClientSession(connector=connector, trust_env=True)

    return httpx.AsyncClient(transport=AiohttpTransport(client=session), timeout=None)  # noqa: S113


def _httpx_client(limits: httpx.Limits) -> httpx.AsyncClient:
    # httpx imports httpcore's and anyio's asyncio backends on the first connection (0.3-0.5 s
    # on a busy 2-core machine); importing them here keeps that out of the first call's deadline.
    import anyio._backends._asyncio  # noqa: F401
    import httpcore  # noqa: F401

    # Timeouts are set per call from the attempt's deadline, so none here. No transport=
    # argument: with one, httpx would ignore HTTPS_PROXY and friends.
    return httpx.AsyncClient(limits=limits, timeout=None, follow_redirects=False)  # noqa: S113


def tuned_client(limits: httpx.Limits = DEFAULT_LIMITS) -> httpx.AsyncClient:
    """A new client on the chosen transport (see :func:`transport_name`)."""
    if transport_name() == "aiohttp":
        return _aiohttp_client(limits)
    return _httpx_client(limits)


class Pool:
    """Hands out one pooled ``httpx.AsyncClient`` per running event loop.

    ``factory`` makes the client (for a proxy, custom TLS, or another transport); by default a
    :func:`tuned_client` whose pool holds ``limits`` connections.
    """

    def __init__(
        self, *, limits: httpx.Limits = DEFAULT_LIMITS, factory: ClientFactory | None = None
    ) -> None:
        self._factory = factory or (lambda: tuned_client(limits))
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]
        self._clients = weakref.WeakKeyDictionary()

    def client(self) -> httpx.AsyncClient:
        """The client of the running loop, made on first use."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            client = self._clients[loop] = self._factory()
            # Closed when asyncio.run() ends the loop (it cancels every task still pending):
            # an aiohttp session left open is reported as an error when it is collected.
            closer = loop.create_task(_close_at_exit(client), name="powertools-router-pool")
            _closers.add(closer)
            closer.add_done_callback(_closers.discard)
        return client

    async def aclose(self) -> None:
        """Close the running loop's client (clients of other loops close with their loop)."""
        loop = asyncio.get_running_loop()
        client = self._clients.pop(loop, None)
        if client is not None:
            await client.aclose()


_closers: set[asyncio.Task[None]] = set()


async def _close_at_exit(client: httpx.AsyncClient) -> None:
    try:
        await asyncio.Event().wait()
    finally:
        await client.aclose()


_shared = Pool()


def shared_pool() -> Pool:
    """The process-wide pool the providers use unless given their own client."""
    return _shared

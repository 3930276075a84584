"""``AsyncSession``: the same sessions for asyncio code; backend I/O never blocks the loop.

A thin shell: every operation is the same flow of ``_flows`` that ``Session`` runs, here driven
with each backend call's async twin (or a thread), under one ``asyncio.Lock``.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

from powertools.session import _flows as flows
from powertools.session._base import SessionBase
from powertools.session._core import Core, Ops
from powertools.session._flows import adrive
from powertools.session._lease import Lease
from powertools.session.errors import SessionError

__all__ = ["AsyncSession"]


class AsyncSession(SessionBase):
    """The async twin of :class:`Session`: same options, same stores, awaitable methods.

    Open it with ``await AsyncSession.open(name, ...)`` or ``async with AsyncSession(name)``.
    The constructor does no I/O: the store is opened (in a thread) and the session loaded on the
    first await, so ``AsyncSession(...)`` is safe to call on the event loop.

    >>> import asyncio
    >>> async def main() -> object:
    ...     async with AsyncSession("a-doc", store="memory://async-doc") as s:
    ...         await s.append("history", "hi")
    ...     return (await AsyncSession.open("a-doc", store="memory://async-doc")).get("history")
    >>> asyncio.run(main())
    ['hi']
    """

    def _opened(self) -> None:
        self._lock = asyncio.Lock()
        self._loaded = False

    @classmethod
    async def open(cls, name: str, **options: Any) -> AsyncSession:
        """Open session ``name`` and load it (the store is opened in a thread, off the loop)."""
        self = cls(name, **options)
        await self.load()
        return self

    @classmethod
    async def recover(cls, name: str, accept: bool = False, **options: Any) -> AsyncSession:
        """Async twin of :meth:`Session.recover`: damaged pieces quarantined and reported."""
        self = cls(name, **options)
        async with self._lock:
            core = await self._open()
            self.recovery = await adrive(flows.recover(core, self._options, accept))
            self._loaded = True
        return self

    async def _open(self) -> Core:
        """The core, its store opened on first use (in a thread); the caller holds the lock."""
        if self._opened_core is None:
            self._opened_core = await adrive(flows.open_core(self._options, self._name))
        return self._opened_core

    async def _ready(self) -> Core:
        """The core, opened and loaded; the caller holds the lock."""
        core = await self._open()
        if not self._loaded:
            self.recovery = await adrive(flows.load(core))
            self._loaded = True
        return core

    @classmethod
    async def list(cls, store: str | None = None) -> builtins.list[str]:
        """The names of every session in ``store``."""
        return await adrive(flows.names(store))

    @classmethod
    async def cleanup(
        cls, store: str | None = None, clock: Callable[[], float] = time.time
    ) -> builtins.list[str]:
        """Delete every session of ``store`` whose TTL has run out; returns their names."""
        return await adrive(flows.cleanup(store, clock))

    async def load(self) -> None:
        """Load (or reload) the newest saved version, dropping unsaved changes."""
        async with self._lock:
            self._loaded = False
            await self._ready()

    async def update_with(
        self, fn: Callable[[dict[str, Any]], dict[str, Any] | None]
    ) -> dict[str, Any]:
        """Async twin of :meth:`Session.update_with`: read, apply, compare-and-swap, retry."""
        async with self._lock:
            return await adrive(flows.update_with(await self._ready(), fn))

    def _readable(self) -> dict[str, Any]:
        if not self._loaded:
            raise SessionError(
                f"AsyncSession {self.name!r} is not loaded yet: open it with "
                "`await AsyncSession.open(...)` or `async with AsyncSession(...)`"
            )
        return self._core.data

    # -- changing --------------------------------------------------------------------------
    async def set(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key``."""
        await self._change([["set", key, value]])

    async def append(self, key: str, item: Any) -> None:
        """Append ``item`` to the list under ``key``."""
        await self._change([["app", key, item]])

    async def update(
        self, values: Mapping[str, Any] | Iterable[tuple[str, Any]] = (), **kw: Any
    ) -> None:
        """Set several keys in one atomic write."""
        merged = dict(values, **kw)
        await self._change([["set", k, v] for k, v in merged.items()])

    async def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is fine."""
        await self._change([["del", key]])

    async def clear(self) -> None:
        """Remove every key."""
        await self._change([["all", {}]])

    async def _change(self, ops: Ops) -> None:
        async with self._lock:
            await adrive(flows.change(await self._ready(), self._options, ops))

    async def save(self) -> None:
        """Write unsaved changes and fold the journal into a snapshot."""
        async with self._lock:
            await adrive(flows.save(await self._ready(), self._options))

    async def create_backup(self, target: str) -> str:
        """Copy the current state to ``target`` (a name here, or a URL ending in a name)."""
        async with self._lock:
            return await adrive(flows.create_backup(await self._ready(), self._options, target))

    async def restore_backup(self, target: str) -> None:
        """Replace this session's state with a backup's (saved as a new version)."""
        async with self._lock:
            await adrive(flows.restore_backup(await self._ready(), self._options, target))

    @contextlib.asynccontextmanager
    async def lock(self, ttl: float = 30.0, wait: float = 10.0) -> AsyncIterator[Lease]:
        """Async twin of :meth:`Session.lock`."""
        owner = secrets.token_hex(16)
        async with self._lock:
            core = await self._open()
        await adrive(flows.take_lease(core, owner, ttl, wait))
        try:
            async with self._lock:
                if not core.pending:
                    self._loaded = False
                await self._ready()
                lease = Lease(self.name, owner, self.version)
            yield lease
        finally:
            await adrive(flows.release(core, owner))

    async def aclose(self) -> None:
        """Save unsaved changes and release the backend (nothing to do if never opened)."""
        async with self._lock:
            if self._opened_core is not None:
                await adrive(flows.close(self._opened_core, self._options))

    async def __aenter__(self) -> AsyncSession:
        async with self._lock:
            await self._ready()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

"""``AsyncSession``: the same sessions for asyncio code; backend I/O never blocks the loop."""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import copy
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

from powertools.session._backend import open_backend
from powertools.session._base import SessionBase
from powertools.session._core import MAX_CONFLICT_RETRIES, Ops, diff_ops, is_expired
from powertools.session._lease import LEASE_POLL_SECONDS, Lease
from powertools.session._options import split_target
from powertools.session.errors import (
    ConflictError,
    SessionError,
    SessionLockedError,
    SessionNotFoundError,
)

__all__ = ["AsyncSession"]


class AsyncSession(SessionBase):
    """The async twin of :class:`Session`: same options, same stores, awaitable methods.

    Open it with ``await AsyncSession.open(name, ...)`` or ``async with AsyncSession(name)``.

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
        self = await asyncio.to_thread(cls, name, **options)
        await self.load()
        return self

    @classmethod
    async def recover(cls, name: str, accept: bool = False, **options: Any) -> AsyncSession:
        """Async twin of :meth:`Session.recover`: damaged pieces quarantined and reported."""
        self = await asyncio.to_thread(cls, name, **options)
        async with self._lock:
            await self._recover(accept)
            self._loaded = True
        return self

    async def _recover(self, accept: bool) -> None:
        core = self._core
        backend = core.backend
        stored = await backend.aload(core.name, recover=True)
        if stored is None:
            self.recovery = core.absorb(None)
            return
        plan = core.plan_recovery(stored)
        token = stored.token
        if plan.quarantine and plan.report is not None:
            token = await backend.aquarantine(
                core.name, plan.rebuilt.damaged, plan.report.to_json(), stored.token
            )
        self.recovery = core.finish_recovery(plan, token, accept)
        if core.needs_snapshot:
            await self._persist([])
        if accept and (plan.quarantine or stored.marker is not None):
            await backend.aaccept(core.name)

    @classmethod
    async def list(cls, store: str | None = None) -> builtins.list[str]:
        """The names of every session in ``store``."""
        backend = await asyncio.to_thread(open_backend, store)
        try:
            return await backend.anames()
        finally:
            await backend.aclose()

    @classmethod
    async def cleanup(
        cls, store: str | None = None, clock: Callable[[], float] = time.time
    ) -> builtins.list[str]:
        """Delete every session of ``store`` whose TTL has run out; returns their names."""
        backend = await asyncio.to_thread(open_backend, store)
        removed = []
        try:
            for name in await backend.anames():
                stored = await backend.aload(name)
                if stored is None or stored.marker is not None:
                    continue  # a damaged session waits for its owner's recovery
                if is_expired(stored, clock()) and await backend.adelete_if(name, stored.token):
                    removed.append(name)
        finally:
            await backend.aclose()
        return removed

    async def load(self) -> None:
        """Load (or reload) the newest saved version, dropping unsaved changes."""
        async with self._lock:
            await self._load()

    async def _load(self) -> None:
        core = self._core
        self.recovery = core.absorb(await core.backend.aload(core.name))
        self._loaded = True

    async def update_with(
        self, fn: Callable[[dict[str, Any]], dict[str, Any] | None]
    ) -> dict[str, Any]:
        """Async twin of :meth:`Session.update_with`: read, apply, compare-and-swap, retry."""
        await self._ready()
        async with self._lock:
            core = self._core
            if core.pending:
                raise SessionError(
                    f"session {self.name!r} has unsaved changes: save() them before update_with"
                )
            for _ in range(MAX_CONFLICT_RETRIES):
                new = core.updated(fn)
                ops = core.prepare(diff_ops(core.data, new))
                if not ops:
                    return new
                write = core.plan(ops)
                try:
                    token = await core.asend(write)
                except ConflictError:
                    await self._load()
                    continue
                core.committed(write, token, ops)
                await self._compact()
                return copy.deepcopy(core.data)
            raise ConflictError(self.name, self.version, None)

    def _readable(self) -> dict[str, Any]:
        if not self._loaded:
            raise SessionError(
                f"AsyncSession {self.name!r} is not loaded yet: open it with "
                "`await AsyncSession.open(...)` or `async with AsyncSession(...)`"
            )
        return self._core.data

    async def _ready(self) -> None:
        if not self._loaded:
            await self.load()

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
        await self._ready()
        async with self._lock:
            prepared = self._core.prepare(ops)
            if self._options.auto_save:
                await self._persist(prepared)
            else:
                self._core.stage(prepared)

    async def _persist(self, ops: Ops) -> None:
        core = self._core
        for _ in range(MAX_CONFLICT_RETRIES):
            write = core.plan(ops)
            try:
                token = await core.asend(write)
            except ConflictError:
                if self._options.on_conflict == "raise":
                    raise
                stored = await core.backend.aload(core.name)
                ops = core.rebase(stored, ops, self._options.on_conflict)
                continue
            core.committed(write, token, ops)
            await self._compact()
            return
        raise ConflictError(core.name, core.version, None)

    async def _compact(self, force: bool = False) -> None:
        core = self._core
        write = core.checkpoint() if force else core.compaction()
        if write is None:
            return
        try:
            token = await core.asend(write)
        except ConflictError:
            return
        core.compacted(write, token)

    async def save(self) -> None:
        """Write unsaved changes and fold the journal into a snapshot."""
        await self._ready()
        async with self._lock:
            if self._core.pending or self._core.needs_snapshot:
                await self._persist([])
            await self._compact(force=True)

    async def create_backup(self, target: str) -> str:
        """Copy the current state to ``target`` (a name here, or a URL ending in a name)."""
        await self._ready()
        async with self._lock:
            store, name = split_target(target, self._options.store)
            other = await asyncio.to_thread(self._options.core, name, store)
            try:
                other.absorb(await other.backend.aload(name))
                blob = self._core.snapshot(self._core.data, other.version + 1, name=name)
                await other.backend.areplace(name, blob, other.version + 1, other.token, other.ttl)
            finally:
                await other.backend.aclose()
            return target

    async def restore_backup(self, target: str) -> None:
        """Replace this session's state with a backup's (saved as a new version)."""
        store, name = split_target(target, self._options.store)
        other = await asyncio.to_thread(self._options.core, name, store)
        try:
            stored = await other.backend.aload(name)
            if stored is None:
                raise SessionNotFoundError(f"no backup {target!r} to restore from")
            other.absorb(stored)
        finally:
            await other.backend.aclose()
        await self._change([["all", other.data]])

    @contextlib.asynccontextmanager
    async def lock(self, ttl: float = 30.0, wait: float = 10.0) -> AsyncIterator[Lease]:
        """Async twin of :meth:`Session.lock`."""
        owner = secrets.token_hex(16)
        backend = self._core.backend
        deadline = time.monotonic() + wait
        while not await asyncio.to_thread(backend.try_lease, self.name, owner, ttl):
            if time.monotonic() >= deadline:
                raise SessionLockedError(
                    f"session {self.name!r} is locked by another holder (waited {wait}s)"
                )
            await asyncio.sleep(LEASE_POLL_SECONDS)
        try:
            if not self._core.pending:
                await self.load()
            yield Lease(self.name, owner, self.version)
        finally:
            await asyncio.to_thread(backend.release_lease, self.name, owner)

    async def aclose(self) -> None:
        """Save unsaved changes and release the backend."""
        async with self._lock:
            if self._core.pending:
                await self._persist([])
            await self._core.backend.aclose()

    async def __aenter__(self) -> AsyncSession:
        await self._ready()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

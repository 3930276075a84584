"""Every session operation written once, as a generator that yields the I/O it needs.

``Session`` and ``AsyncSession`` are thin shells around these flows (DESIGN.md: one core, thin
shells). A flow never touches a backend itself: it yields a :class:`Call` (``backend.load(name)``,
``options.core(name)``, a sleep) and gets the result sent back, or the exception thrown in.
:func:`drive` runs a flow with plain calls; :func:`adrive` awaits each call's async twin
(``aload`` for ``load``) or, where there is none, runs the blocking call in a thread, so a flow
driven from asyncio never blocks the loop.

>>> from powertools.session._options import Options
>>> def opened(name: str) -> Flow[int]:
...     core = yield Call(Options(store="memory://flows-doc"), "core", (name,))
...     yield from load(core)
...     return core.version
>>> drive(opened("s"))
0
"""

from __future__ import annotations

import asyncio
import builtins
import copy
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from powertools.session._backend import Backend, JournalingBackend, open_backend
from powertools.session._core import MAX_CONFLICT_RETRIES, Core, Ops, Write, diff_ops, is_expired
from powertools.session._lease import LEASE_POLL_SECONDS
from powertools.session._options import Options, split_target
from powertools.session._recovery import RecoveryReport
from powertools.session.errors import (
    ConflictError,
    SessionError,
    SessionLockedError,
    SessionNotFoundError,
)

__all__ = [
    "Call",
    "Flow",
    "adrive",
    "change",
    "cleanup",
    "close",
    "create_backup",
    "drive",
    "load",
    "names",
    "open_core",
    "persist",
    "recover",
    "release",
    "restore_backup",
    "save",
    "take_lease",
    "update_with",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Call:
    """``target.method(*args)``: one piece of I/O a flow asks its shell to do."""

    target: Any
    method: str
    args: tuple[Any, ...] = ()


Flow = Generator[Call, Any, T]


class _Io:
    """Calls that belong to no backend: opening a store, sleeping."""

    @staticmethod
    def open_backend(store: str | None) -> Backend:
        return open_backend(store)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(seconds)

    @staticmethod
    async def asleep(seconds: float) -> None:
        await asyncio.sleep(seconds)


IO = _Io()


def drive(flow: Flow[T]) -> T:
    """Run ``flow`` to its end, making each call it yields (the sync shell)."""
    try:
        call = next(flow)
        while True:
            try:
                result = getattr(call.target, call.method)(*call.args)
            except BaseException as exc:  # handed to the flow, which re-raises what it can't use
                call = flow.throw(exc)
            else:
                call = flow.send(result)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


async def _call(call: Call) -> Any:
    twin = getattr(call.target, f"a{call.method}", None)
    if twin is not None:
        return await twin(*call.args)
    return await asyncio.to_thread(getattr(call.target, call.method), *call.args)


async def adrive(flow: Flow[T]) -> T:
    """Run ``flow`` to its end, awaiting each call's async twin or a thread (the async shell)."""
    try:
        call = next(flow)
        while True:
            try:
                result = await _call(call)
            except BaseException as exc:
                call = flow.throw(exc)
            else:
                call = flow.send(result)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


# -- opening and reading ------------------------------------------------------------------
def open_core(options: Options, name: str) -> Flow[Core]:
    """The core of session ``name``, its store opened (blocking: a thread under asyncio)."""
    core: Core = yield Call(options, "core", (name,))
    return core


def load(core: Core) -> Flow[RecoveryReport | None]:
    """Replace the state with the newest stored version; returns what the store mended."""
    stored = yield Call(core.backend, "load", (core.name,))
    return core.absorb(stored)


def recover(core: Core, options: Options, accept: bool) -> Flow[RecoveryReport | None]:
    """Quarantine what is damaged, take everything intact, save it as a new version."""
    backend = core.backend
    stored = yield Call(backend, "load", (core.name, True))
    if stored is None:
        return core.absorb(None)
    plan = core.plan_recovery(stored)
    token = stored.token
    if plan.quarantine and plan.report is not None:
        args = (core.name, plan.rebuilt.damaged, plan.report.to_json(), stored.token)
        token = yield Call(backend, "quarantine", args)
    report = core.finish_recovery(plan, token, accept)
    if core.needs_snapshot:
        yield from persist(core, options, [])
    if accept and (plan.quarantine or stored.marker is not None):
        yield Call(backend, "accept", (core.name,))
    return report


# -- writing ------------------------------------------------------------------------------
def _send(core: Core, write: Write) -> Call:
    method = "append" if write.kind == "append" else "replace"
    if not isinstance(core.backend, JournalingBackend):
        method = "replace"
    return Call(
        core.backend, method, (core.name, write.blob, write.version, write.expected, core.ttl)
    )


def persist(core: Core, options: Options, ops: Ops) -> Flow[None]:
    """Write pending changes plus ``ops``; a lost compare-and-swap follows ``on_conflict``."""
    for _ in range(MAX_CONFLICT_RETRIES):
        write = core.plan(ops)
        try:
            token = yield _send(core, write)
        except ConflictError:
            if options.on_conflict == "raise":
                raise
            stored = yield Call(core.backend, "load", (core.name,))
            ops = core.rebase(stored, ops, options.on_conflict)
            continue
        core.committed(write, token, ops)
        yield from _compact(core)
        return
    raise ConflictError(core.name, core.version, None)


def _compact(core: Core, force: bool = False) -> Flow[None]:
    write = core.checkpoint() if force else core.compaction()
    if write is None:
        return
    try:
        token = yield _send(core, write)
    except ConflictError:
        return  # another writer moved on; our next write will meet that conflict
    core.compacted(write, token)


def change(core: Core, options: Options, ops: Ops) -> Flow[None]:
    """Apply ``ops``: written at once (``auto_save``) or staged for the next save."""
    prepared = core.prepare(ops)
    if options.auto_save:
        yield from persist(core, options, prepared)
    else:
        core.stage(prepared)


def save(core: Core, options: Options) -> Flow[None]:
    """Write unsaved changes and fold the journal into a snapshot."""
    if core.pending or core.needs_snapshot:
        yield from persist(core, options, [])
    yield from _compact(core, force=True)


def update_with(
    core: Core, fn: Callable[[dict[str, Any]], dict[str, Any] | None]
) -> Flow[dict[str, Any]]:
    """Read, apply ``fn``, compare-and-swap; on a conflict reload and apply again."""
    if core.pending:
        raise SessionError(
            f"session {core.name!r} has unsaved changes: save() them before update_with"
        )
    for _ in range(MAX_CONFLICT_RETRIES):
        new = core.updated(fn)
        ops = core.prepare(diff_ops(core.data, new))
        if not ops:
            return new
        write = core.plan(ops)
        try:
            token = yield _send(core, write)
        except ConflictError:
            yield from load(core)
            continue
        core.committed(write, token, ops)
        yield from _compact(core)
        return copy.deepcopy(core.data)
    raise ConflictError(core.name, core.version, None)


def close(core: Core, options: Options) -> Flow[None]:
    """Save unsaved changes and release the backend."""
    if core.pending:
        yield from persist(core, options, [])
    yield Call(core.backend, "close")


# -- backups ------------------------------------------------------------------------------
def _other(options: Options, target: str) -> Flow[tuple[Core, str]]:
    store, name = split_target(target, options.store)
    other: Core = yield Call(options, "core", (name, store))
    return other, name


def create_backup(core: Core, options: Options, target: str) -> Flow[str]:
    """Copy the current state to ``target`` (a name in this store, or a URL ending in one)."""
    other, name = yield from _other(options, target)
    try:
        other.absorb((yield Call(other.backend, "load", (name,))))
        version = other.version + 1
        blob = core.snapshot(core.data, version, name=name)
        yield Call(other.backend, "replace", (name, blob, version, other.token, other.ttl))
    finally:
        yield Call(other.backend, "close")
    return target


def restore_backup(core: Core, options: Options, target: str) -> Flow[None]:
    """Replace the state with a backup's, saved as a new version."""
    other, name = yield from _other(options, target)
    try:
        stored = yield Call(other.backend, "load", (name,))
        if stored is None:
            raise SessionNotFoundError(f"no backup {target!r} to restore from")
        other.absorb(stored)
    finally:
        yield Call(other.backend, "close")
    yield from change(core, options, [["all", other.data]])


# -- the whole store ----------------------------------------------------------------------
def names(store: str | None) -> Flow[builtins.list[str]]:
    """The names of every session in ``store``."""
    backend = yield Call(IO, "open_backend", (store,))
    try:
        found: builtins.list[str] = yield Call(backend, "names")
    finally:
        yield Call(backend, "close")
    return found


def cleanup(store: str | None, clock: Callable[[], float]) -> Flow[builtins.list[str]]:
    """Delete (compare-and-delete) every session of ``store`` whose TTL has run out."""
    backend = yield Call(IO, "open_backend", (store,))
    removed = []
    try:
        for name in (yield Call(backend, "names")):
            stored = yield Call(backend, "load", (name,))
            if stored is None or stored.marker is not None:
                continue  # a damaged session waits for its owner's recovery
            if is_expired(stored, clock()) and (
                yield Call(backend, "delete_if", (name, stored.token))
            ):
                removed.append(name)
    finally:
        yield Call(backend, "close")
    return removed


# -- leases -------------------------------------------------------------------------------
def take_lease(core: Core, owner: str, ttl: float, wait: float) -> Flow[None]:
    """Poll for the session's lease until taken, or ``wait`` seconds passed (then raise)."""
    deadline = time.monotonic() + wait
    while not (yield Call(core.backend, "try_lease", (core.name, owner, ttl))):
        if time.monotonic() >= deadline:
            raise SessionLockedError(
                f"session {core.name!r} is locked by another holder (waited {wait}s)"
            )
        yield Call(IO, "sleep", (LEASE_POLL_SECONDS,))


def release(core: Core, owner: str) -> Flow[None]:
    """Give the lease back."""
    yield Call(core.backend, "release_lease", (core.name, owner))

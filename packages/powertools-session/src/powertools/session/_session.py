"""``Session``: the synchronous API. Safe from threads and from inside a running event loop."""

from __future__ import annotations

import builtins
import contextlib
import copy
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
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

__all__ = ["Session"]


class Session(SessionBase):
    """Named key-value state that outlives the process: every change is saved as it happens.

    >>> s = Session("doc-example", store="memory://session-doc")
    >>> s.set("user", {"id": 123})
    >>> s.append("history", {"role": "user", "content": "hi"})
    >>> Session.recover("doc-example", store="memory://session-doc").get_all()
    {'user': {'id': 123}, 'history': [{'role': 'user', 'content': 'hi'}]}
    """

    def _opened(self) -> None:
        self._lock = threading.RLock()
        self._guard = self._lock
        if self._recovering:
            self._recover(self._accept)
        else:
            self._load()

    def _load(self) -> None:
        core = self._core
        self.recovery = core.absorb(core.backend.load(core.name))

    def _recover(self, accept: bool) -> None:
        core = self._core
        backend = core.backend
        stored = backend.load(core.name, recover=True)
        if stored is None:
            self.recovery = core.absorb(None)
            return
        plan = core.plan_recovery(stored)
        token = stored.token
        if plan.quarantine and plan.report is not None:
            token = backend.quarantine(
                core.name, plan.rebuilt.damaged, plan.report.to_json(), stored.token
            )
        self.recovery = core.finish_recovery(plan, token, accept)
        if core.needs_snapshot:
            self._persist([])
        if accept and (plan.quarantine or stored.marker is not None):
            backend.accept(core.name)

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key``; a value the serializer cannot store raises here."""
        self._change([["set", key, value]])

    def append(self, key: str, item: Any) -> None:
        """Append ``item`` to the list under ``key`` (created if missing); costs O(item)."""
        self._change([["app", key, item]])

    def update(self, values: Mapping[str, Any] | Iterable[tuple[str, Any]] = (), **kw: Any) -> None:
        """Set several keys in one atomic write, like ``dict.update``."""
        merged = dict(values, **kw)
        self._change([["set", k, v] for k, v in merged.items()])

    def delete(self, key: str) -> None:
        """Remove ``key``; a missing key is fine."""
        self._change([["del", key]])

    def clear(self) -> None:
        """Remove every key."""
        self._change([["all", {}]])

    # -- persistence ---------------------------------------------------------------------
    def _change(self, ops: Ops) -> None:
        with self._lock:
            prepared = self._core.prepare(ops)
            if self._options.auto_save:
                self._persist(prepared)
            else:
                self._core.stage(prepared)

    def _persist(self, ops: Ops) -> None:
        core = self._core
        for _ in range(MAX_CONFLICT_RETRIES):
            write = core.plan(ops)
            try:
                token = core.send(write)
            except ConflictError:
                if self._options.on_conflict == "raise":
                    raise
                ops = core.rebase(core.backend.load(core.name), ops, self._options.on_conflict)
                continue
            core.committed(write, token, ops)
            self._compact()
            return
        raise ConflictError(core.name, core.version, None)

    def _compact(self, force: bool = False) -> None:
        core = self._core
        write = core.checkpoint() if force else core.compaction()
        if write is None:
            return
        try:
            token = core.send(write)
        except ConflictError:
            return  # another writer moved on; our next write will meet that conflict
        core.compacted(write, token)

    def save(self) -> None:
        """Write unsaved changes (``auto_save=False``) and fold the journal into a snapshot."""
        with self._lock:
            if self._core.pending or self._core.needs_snapshot:
                self._persist([])
            self._compact(force=True)

    def reload(self) -> None:
        """Drop unsaved changes and load the newest saved version."""
        with self._lock:
            self._load()

    def update_with(self, fn: Callable[[dict[str, Any]], dict[str, Any] | None]) -> dict[str, Any]:
        """Read, apply ``fn``, write only if nobody wrote in between, else retry on the newest.

        ``fn`` gets a copy of the data and returns the new data (or changes it in place and
        returns None); it may run several times, so keep it free of side effects. The write is a
        compare-and-swap whatever ``on_conflict`` says: two processes incrementing a counter
        from 5 leave 7. Returns a copy of the data written.

        >>> s = Session("counter-doc", store="memory://update-with-doc")
        >>> s.update_with(lambda d: {**d, "n": d.get("n", 0) + 1})
        {'n': 1}
        """
        with self._lock:
            if self._core.pending:
                raise SessionError(
                    f"session {self.name!r} has unsaved changes: save() them before update_with"
                )
            for _ in range(MAX_CONFLICT_RETRIES):
                new = self._core.updated(fn)
                ops = self._core.prepare(diff_ops(self._core.data, new))
                if not ops:
                    return new
                write = self._core.plan(ops)
                try:
                    token = self._core.send(write)
                except ConflictError:
                    self._load()
                    continue
                self._core.committed(write, token, ops)
                self._compact()
                return copy.deepcopy(self._core.data)
            raise ConflictError(self.name, self.version, None)

    @classmethod
    def recover(cls, name: str, accept: bool = False, **options: Any) -> Session:
        """Open ``name`` with everything still intact, damaged pieces quarantined and reported.

        Takes the same keyword options as ``Session(...)``. Recovery never deletes damaged bytes:
        it copies them aside first (``session.recovery.quarantine`` says where), then saves what
        was intact as a new version. ``session.recovery`` is the :class:`RecoveryReport` (also
        logged on the ``powertools.session`` logger), None when nothing was wrong. Until the
        recovery is accepted (``accept=True``, now or in a later call) a plain ``Session(name)``
        raises ``CorruptSessionError``, so the damage is never hidden. Raises
        ``CorruptSessionError`` when nothing intact is left, unless ``accept=True`` (then the
        session starts empty, the quarantine kept).
        """
        self = cls.__new__(cls)
        self._recovering = True
        self._accept = accept
        self.__init__(name, **options)  # type: ignore[misc]
        return self

    @classmethod
    def list(cls, store: str | None = None) -> builtins.list[str]:
        """The names of every session in ``store`` (default: the default store)."""
        backend = open_backend(store)
        try:
            return backend.names()
        finally:
            backend.close()

    @classmethod
    def cleanup(
        cls, store: str | None = None, clock: Callable[[], float] = time.time
    ) -> builtins.list[str]:
        """Delete every session of ``store`` whose TTL has run out; returns their names."""
        backend = open_backend(store)
        removed = []
        try:
            for name in backend.names():
                stored = backend.load(name)
                if stored is None or stored.marker is not None:
                    continue  # a damaged session waits for its owner's recovery
                if is_expired(stored, clock()) and backend.delete_if(name, stored.token):
                    removed.append(name)
        finally:
            backend.close()
        return removed

    def create_backup(self, target: str) -> str:
        """Copy the current state to ``target``: a name in this store, or a URL ending in one.

        Returns the target. Backups are ordinary sessions: ``Session(name, store=...)`` opens one.
        """
        with self._lock:
            store, name = split_target(target, self._options.store)
            other = self._options.core(name, store)
            try:
                other.absorb(other.backend.load(name))
                blob = self._core.snapshot(self._core.data, other.version + 1, name=name)
                other.backend.replace(name, blob, other.version + 1, other.token, other.ttl)
            finally:
                other.backend.close()
            return target

    def restore_backup(self, target: str) -> None:
        """Replace this session's state with a backup's (saved as a new version)."""
        with self._lock:
            store, name = split_target(target, self._options.store)
            other = self._options.core(name, store)
            try:
                stored = other.backend.load(name)
                if stored is None:
                    raise SessionNotFoundError(f"no backup {target!r} to restore from")
                other.absorb(stored)
            finally:
                other.backend.close()
            self._change([["all", other.data]])

    @contextlib.contextmanager
    def lock(self, ttl: float = 30.0, wait: float = 10.0) -> Iterator[Lease]:
        """Hold the session's exclusive lease (file, memory, Redis, PostgreSQL stores).

        On entry the session is reloaded, so changes made under the lease start from the newest
        version. The lease's ``version`` is a fencing token: writes stay compare-and-swap, so a
        holder whose Redis lease ran out (``ttl``) and was overtaken gets ``ConflictError``.
        Raises ``SessionLockedError`` when ``wait`` seconds pass without the lease.
        """
        owner = secrets.token_hex(16)
        backend = self._core.backend
        deadline = time.monotonic() + wait
        while not backend.try_lease(self.name, owner, ttl):
            if time.monotonic() >= deadline:
                raise SessionLockedError(
                    f"session {self.name!r} is locked by another holder (waited {wait}s)"
                )
            time.sleep(LEASE_POLL_SECONDS)
        try:
            with self._lock:
                if not self._core.pending:
                    self._load()
                lease = Lease(self.name, owner, self.version)
            yield lease
        finally:
            backend.release_lease(self.name, owner)

    def close(self) -> None:
        """Save unsaved changes and release the backend."""
        with self._lock:
            if self._core.pending:
                self._persist([])
            self._core.backend.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

"""``Session``: the synchronous API. Safe from threads and from inside a running event loop.

A thin shell: every operation is a flow of ``_flows`` (shared with ``AsyncSession``), run here
with plain blocking calls under one re-entrant lock.
"""

from __future__ import annotations

import builtins
import contextlib
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any

from powertools.session import _flows as flows
from powertools.session._base import SessionBase
from powertools.session._core import Ops
from powertools.session._flows import drive
from powertools.session._lease import Lease

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
        core = self._opened_core = drive(flows.open_core(self._options, self._name))
        if self._recovering:
            self.recovery = drive(flows.recover(core, self._options, self._accept))
        else:
            self.recovery = drive(flows.load(core))

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
            drive(flows.change(self._core, self._options, ops))

    def save(self) -> None:
        """Write unsaved changes (``auto_save=False``) and fold the journal into a snapshot."""
        with self._lock:
            drive(flows.save(self._core, self._options))

    def reload(self) -> None:
        """Drop unsaved changes and load the newest saved version."""
        with self._lock:
            self.recovery = drive(flows.load(self._core))

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
            return drive(flows.update_with(self._core, fn))

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
        return drive(flows.names(store))

    @classmethod
    def cleanup(
        cls, store: str | None = None, clock: Callable[[], float] = time.time
    ) -> builtins.list[str]:
        """Delete every session of ``store`` whose TTL has run out; returns their names."""
        return drive(flows.cleanup(store, clock))

    def create_backup(self, target: str) -> str:
        """Copy the current state to ``target``: a name in this store, or a URL ending in one.

        Returns the target. Backups are ordinary sessions: ``Session(name, store=...)`` opens one.
        """
        with self._lock:
            return drive(flows.create_backup(self._core, self._options, target))

    def restore_backup(self, target: str) -> None:
        """Replace this session's state with a backup's (saved as a new version)."""
        with self._lock:
            drive(flows.restore_backup(self._core, self._options, target))

    @contextlib.contextmanager
    def lock(self, ttl: float = 30.0, wait: float = 10.0) -> Iterator[Lease]:
        """Hold the session's exclusive lease (file, memory, Redis, PostgreSQL stores).

        On entry the session is reloaded, so changes made under the lease start from the newest
        version. The lease's ``version`` is a fencing token: writes stay compare-and-swap, so a
        holder whose Redis lease ran out (``ttl``) and was overtaken gets ``ConflictError``.
        Raises ``SessionLockedError`` when ``wait`` seconds pass without the lease.
        """
        owner = secrets.token_hex(16)
        core = self._core
        drive(flows.take_lease(core, owner, ttl, wait))
        try:
            with self._lock:
                if not core.pending:
                    self.recovery = drive(flows.load(core))
                lease = Lease(self.name, owner, self.version)
            yield lease
        finally:
            drive(flows.release(core, owner))

    def close(self) -> None:
        """Save unsaved changes and release the backend."""
        with self._lock:
            drive(flows.close(self._core, self._options))

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

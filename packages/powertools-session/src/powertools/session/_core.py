"""The session's state machine: ops, versions, journal and compaction decisions.

``Session`` and ``AsyncSession`` drive it: they ask it what to write, have it send the bytes to
the backend (``send`` / ``asend``), and report back what the backend acknowledged.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from powertools.session._backend import Backend, JournalingBackend, Stored, Token
from powertools.session._envelope import Codec, Header, peek_header
from powertools.session.errors import (
    CorruptSessionError,
    DecryptionError,
    UnserializableValueError,
)

__all__ = ["ConflictPolicy", "Core", "Op", "Ops", "Write", "apply_ops", "is_expired"]

#: One change: ["set", key, value], ["del", key], ["app", key, item] or ["all", data].
Op = list[Any]
Ops = list[Op]
MergeFunction = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
ConflictPolicy = Literal["raise", "last-writer-wins"] | MergeFunction
MAX_CONFLICT_RETRIES = 100


def apply_ops(data: dict[str, Any], ops: list[Op]) -> dict[str, Any]:
    """Apply ``ops`` to ``data`` in place (returns it, or the replacement for an ``all`` op)."""
    for op in ops:
        kind = op[0]
        if kind == "set":
            data[op[1]] = op[2]
        elif kind == "del":
            data.pop(op[1], None)
        elif kind == "app":
            data.setdefault(op[1], []).append(op[2])
        else:
            data.clear()
            data.update(op[1])
    return data


def is_expired(stored: Stored, now: float) -> bool:
    """Whether the newest envelope of ``stored`` says the session expired before ``now``."""
    newest = stored.records[-1] if stored.records else stored.snapshot
    if newest is None:
        return False
    expires = peek_header(newest, stored.snapshot_location).expires_at
    return expires is not None and now >= expires


@dataclass(slots=True, frozen=True)
class Write:
    """One write to hand to the backend: a journal record or a whole snapshot."""

    kind: Literal["append", "replace"]
    blob: bytes
    version: int
    expected: Token


class Core:
    """One session's state and the bytes that persist it."""

    def __init__(
        self,
        name: str,
        codec: Codec,
        backend: Backend,
        ttl: float | None,
        clock: Callable[[], float],
    ) -> None:
        self.name = name
        self.codec = codec
        self.backend = backend
        self.ttl = ttl
        self.clock = clock
        self.data: dict[str, Any] = {}
        self.version = 0
        self.token: Token = backend.initial_token
        self.pending: list[Op] = []
        self.journal_bytes = 0
        self.snapshot_bytes = 0
        self.needs_snapshot = False
        self._prepared: tuple[list[Op], bytes] = ([], b"")

    # -- reading -------------------------------------------------------------------------
    def absorb(self, stored: Stored | None, recover: bool = False) -> None:
        """Replace the state with what ``stored`` holds (replaying the journal)."""
        self.pending = []
        self.needs_snapshot = False
        if stored is None:
            self.data, self.version, self.token = {}, 0, self.backend.initial_token
            self.journal_bytes = self.snapshot_bytes = 0
            return
        data: dict[str, Any] = {}
        version = 0
        expires: float | None = None
        if stored.snapshot is not None:
            header, data = self.codec.open(stored.snapshot, stored.snapshot_location, self.name)
            version, expires = header.version, header.expires_at
        version, expires = self._replay(stored, data, version, expires, recover)
        # Versions only grow: a recovery to older data is saved as a version after the newest.
        self.data, self.version, self.token = data, stored.version, stored.token
        self.journal_bytes = stored.journal_bytes
        self.snapshot_bytes = len(stored.snapshot or b"")
        if version != stored.version:
            self.needs_snapshot = True
        if expires is not None and self.clock() >= expires:
            self.data = {}
            self.needs_snapshot = True

    def _replay(
        self,
        stored: Stored,
        data: dict[str, Any],
        version: int,
        expires: float | None,
        recover: bool,
    ) -> tuple[int, float | None]:
        where = stored.journal_location
        for blob in stored.records:
            try:
                header, ops = self.codec.open(blob, where, self.name)
                if header.version <= version:
                    continue
                if header.version != version + 1:
                    raise CorruptSessionError(
                        where, f"version {header.version} follows version {version}"
                    )
            except (CorruptSessionError, DecryptionError):
                if recover:
                    break
                raise
            apply_ops(data, ops)
            version, expires = header.version, header.expires_at
        return version, expires

    # -- changing ------------------------------------------------------------------------
    def prepare(self, ops: list[Op]) -> list[Op]:
        """Check ``ops`` against the state and return them as a reload would see them."""
        for op in ops:
            if op[0] in ("set", "del", "app") and not isinstance(op[1], str):
                raise TypeError(f"session keys are strings, not {type(op[1]).__qualname__}")
            if op[0] == "app" and not isinstance(self.data.get(op[1], []), list):
                raise TypeError(
                    f"append({op[1]!r}, ...) needs a list there, found "
                    f"{type(self.data[op[1]]).__qualname__}"
                )
        try:
            body = self.codec.serializer.dumps(ops)
            decoded: list[Op] = self.codec.serializer.loads(body)
        except UnserializableValueError:
            raise
        except (TypeError, ValueError, OverflowError, RecursionError) as exc:
            raise UnserializableValueError(f"value cannot be stored: {exc}") from exc
        self._prepared = (decoded, body)  # plan() reuses the bytes instead of encoding twice
        return decoded

    def _header(self, kind: str, version: int) -> Header:
        expires = None if self.ttl is None else self.clock() + self.ttl
        return Header(kind, self.name, version, self.codec.serializer.name, expires_at=expires)

    def plan(self, ops: list[Op]) -> Write:
        """The write that persists pending changes plus ``ops`` (already prepared)."""
        version = self.version + 1
        if isinstance(self.backend, JournalingBackend) and not self.needs_snapshot:
            header = self._header("ops", version)
            if not self.pending and ops is self._prepared[0]:
                blob = self.codec.seal_body(header, self._prepared[1])
            else:
                blob = self.codec.seal(header, self.pending + ops)
            return Write("append", blob, version, self.token)
        target = apply_ops(copy.deepcopy(self.data), ops)
        return Write("replace", self.snapshot(target, version), version, self.token)

    def snapshot(self, data: Mapping[str, Any], version: int, name: str | None = None) -> bytes:
        """``data`` sealed as a snapshot of ``name`` (this session by default) at ``version``."""
        header = self._header("snap", version)
        if name is not None:
            header = Header("snap", name, version, header.serializer, expires_at=header.expires_at)
        return self.codec.seal(header, dict(data))

    def send(self, write: Write) -> Token:
        """Hand ``write`` to the backend; returns the token it acknowledged."""
        backend = self.backend
        if write.kind == "append" and isinstance(backend, JournalingBackend):
            return backend.append(self.name, write.blob, write.version, write.expected, self.ttl)
        return backend.replace(self.name, write.blob, write.version, write.expected, self.ttl)

    async def asend(self, write: Write) -> Token:
        """Async twin of :meth:`send`."""
        backend = self.backend
        if write.kind == "append" and isinstance(backend, JournalingBackend):
            return await backend.aappend(
                self.name, write.blob, write.version, write.expected, self.ttl
            )
        return await backend.areplace(
            self.name, write.blob, write.version, write.expected, self.ttl
        )

    def committed(self, write: Write, token: Token, ops: list[Op]) -> None:
        """The backend acknowledged ``write``: apply ``ops`` and move to its version."""
        self.data = apply_ops(self.data, ops)
        self.version, self.token, self.pending = write.version, token, []
        if write.kind == "append":
            self.journal_bytes += len(write.blob)
        else:
            self.journal_bytes, self.snapshot_bytes = 0, len(write.blob)
            self.needs_snapshot = False

    def compaction(self) -> Write | None:
        """A snapshot write when the journal has outgrown its limit and the snapshot."""
        backend = self.backend
        if not isinstance(backend, JournalingBackend):
            return None
        if self.journal_bytes <= max(backend.journal_limit, self.snapshot_bytes):
            return None
        return self.checkpoint()

    def checkpoint(self) -> Write | None:
        """A snapshot write folding a non-empty journal in, whatever its size."""
        if not self.journal_bytes or self.pending:
            return None
        return Write("replace", self.snapshot(self.data, self.version), self.version, self.token)

    def compacted(self, write: Write, token: Token) -> None:
        """A compaction was acknowledged."""
        self.token, self.journal_bytes, self.snapshot_bytes = token, 0, len(write.blob)

    def stage(self, ops: list[Op]) -> None:
        """Apply prepared ``ops`` now and persist them on the next save (``auto_save=False``)."""
        self.data = apply_ops(self.data, ops)
        self.pending.extend(ops)

    def rebase(self, stored: Stored | None, ops: list[Op], policy: ConflictPolicy) -> list[Op]:
        """After a lost compare-and-swap: take ``stored`` and return the ops to retry."""
        mine = self.pending + ops
        ours = apply_ops(copy.deepcopy(self.data), ops) if callable(policy) else {}
        self.absorb(stored)
        if callable(policy):
            return self.prepare([["all", policy(copy.deepcopy(self.data), ours)]])
        return mine

"""The session's state machine: ops, versions, journal and compaction decisions.

It does no I/O. The flows of ``_flows`` (shared by ``Session`` and ``AsyncSession``) ask it what
to write, yield the backend call, and report back what the backend acknowledged.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from powertools.session._backend import Backend, JournalingBackend, Piece, Stored, Token
from powertools.session._encoded import Change, Encoded
from powertools.session._envelope import Codec, Header, peek_header
from powertools.session._recovery import Op, Rebuilt, RecoveryReport, apply_ops, log, rebuild
from powertools.session._serializers import JsonSerializer
from powertools.session.errors import CorruptSessionError, UnserializableValueError

__all__ = [
    "ConflictPolicy",
    "Core",
    "Op",
    "Ops",
    "Recovery",
    "Write",
    "apply_ops",
    "diff_ops",
    "is_expired",
    "merge_arity",
]

Ops = list[Op]
#: ``merge(base, theirs, ours)`` (three-way) or the older ``merge(theirs, ours)``.
MergeFunction = Callable[..., dict[str, Any]]
ConflictPolicy = Literal["raise", "last-writer-wins"] | MergeFunction
MAX_CONFLICT_RETRIES = 100


def merge_arity(policy: Callable[..., Any]) -> int:
    """3 for a three-way ``merge(base, theirs, ours)``, 2 for ``merge(theirs, ours)``."""
    try:
        params = inspect.signature(policy).parameters.values()
    except (TypeError, ValueError):
        return 3
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if any(p.kind == p.VAR_POSITIONAL for p in params) or len(positional) >= 3:
        return 3
    if len(positional) == 2:
        return 2
    raise ValueError(
        f"on_conflict={policy!r} takes {len(positional)} arguments: give a function "
        "merge(base, theirs, ours) -> dict (or the two-argument merge(theirs, ours))"
    )


def diff_ops(old: Mapping[str, Any], new: Mapping[str, Any]) -> Ops:
    """The ``set``/``del`` ops that turn ``old`` into ``new``.

    >>> diff_ops({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4})
    [['set', 'b', 3], ['set', 'c', 4]]
    """
    ops: Ops = [["set", k, v] for k, v in new.items() if k not in old or old[k] != v]
    ops += [["del", k] for k in old if k not in new]
    return ops


@dataclass(slots=True)
class Recovery:
    """A recovery in progress: what was rebuilt and whether damage must be quarantined first."""

    stored: Stored
    rebuilt: Rebuilt
    report: RecoveryReport | None
    quarantine: bool


def is_expired(stored: Stored, now: float) -> bool:
    """Whether the newest envelope of ``stored`` says the session expired before ``now``."""
    newest = stored.records[-1] if stored.records else stored.snapshot
    if newest is None:
        return False
    try:
        expires = peek_header(newest, stored.snapshot_location).expires_at
    except CorruptSessionError:
        return False  # damaged: left for a recovery, never deleted by a cleanup
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
        self._prepared: tuple[list[Op], bytes, list[Change] | None] = ([], b"", None)
        self._base: dict[str, Any] = {}
        serializer = codec.serializer
        self.encoded = Encoded(serializer) if isinstance(serializer, JsonSerializer) else None
        self._ratio = 1.0  # sealed / serialized size of the last record: compression's effect

    # -- reading -------------------------------------------------------------------------
    def _empty(self) -> None:
        if self.encoded is not None:
            self.encoded.clear()
        self.data, self.version, self.token = {}, 0, self.backend.initial_token
        self.journal_bytes = self.snapshot_bytes = 0

    def absorb(self, stored: Stored | None) -> RecoveryReport | None:
        """Replace the state with what ``stored`` holds; anything damaged raises.

        Returns a report when the store mended something on its own (a torn last record).
        """
        self.pending = []
        self.needs_snapshot = False
        if stored is None:
            self._empty()
            return None
        if stored.marker is not None:
            marked = RecoveryReport.from_json(stored.marker, self.name)
            raise CorruptSessionError(
                stored.marker_location,
                "a recovery set damaged data aside and was not accepted yet",
                quarantine=marked.quarantine or stored.marker_location,
            )
        rebuilt = rebuild(self.codec, self.name, stored)
        refusal = rebuilt.refusal(stored)
        if refusal is not None:
            raise refusal
        self._adopt(stored, rebuilt)
        if not stored.problems:
            return None
        report = rebuilt.report(self.name, stored.problems, None)
        log.warning("%s", report)
        return report

    def _adopt(self, stored: Stored, rebuilt: Rebuilt) -> None:
        # Versions only grow: a recovery to older data is saved as a version after the newest.
        if self.encoded is not None:
            self.encoded.clear()
        self.data, self.token = rebuilt.data, stored.token
        self.version = max(stored.version, rebuilt.version)
        self.journal_bytes = stored.journal_bytes
        self.snapshot_bytes = len(stored.snapshot or b"")
        if rebuilt.version != self.version:
            self.needs_snapshot = True
        if rebuilt.expires is not None and self.clock() >= rebuilt.expires:
            self.data = {}
            self.needs_snapshot = True

    def plan_recovery(self, stored: Stored) -> Recovery:
        """What recovering ``stored`` takes: the rebuilt state and the report to file."""
        self.pending = []
        self.needs_snapshot = False
        rebuilt = rebuild(self.codec, self.name, stored)
        if rebuilt.damaged or rebuilt.missing:
            where = self.backend.quarantine_location(self.name)
            return Recovery(
                stored, rebuilt, rebuilt.report(self.name, stored.problems, where), True
            )
        if stored.marker is not None:
            marked = RecoveryReport.from_json(stored.marker, self.name)
            return Recovery(stored, rebuilt, marked, False)
        notes = rebuilt.report(self.name, stored.problems, None) if stored.problems else None
        return Recovery(stored, rebuilt, notes, False)

    def finish_recovery(self, plan: Recovery, token: Token, accept: bool) -> RecoveryReport | None:
        """Take the rebuilt state once the damage is quarantined (``token``: the store's now).

        Raises ``CorruptSessionError`` when nothing intact was found, unless ``accept``.
        """
        rebuilt, report = plan.rebuilt, plan.report
        if plan.quarantine and not rebuilt.valid and not accept:
            first = (rebuilt.damaged or [Piece(plan.stored.journal_location, "", "")])[0]
            raise CorruptSessionError(
                first.location,
                f"{first.reason or 'versions missing'}; nothing intact is left to recover",
                quarantine=report.quarantine if report else None,
            )
        self._adopt(plan.stored, rebuilt)
        self.token = token
        if plan.quarantine:
            self.needs_snapshot = True  # the rewrite leaves only intact data in the live store
        if report is not None:
            report = dataclasses.replace(report, accepted=accept)
            log.warning("%s", report)
        return report

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
            self._prepared = self._encode(ops)  # plan() reuses the bytes instead of encoding twice
        except UnserializableValueError:
            raise
        except (TypeError, ValueError, OverflowError, RecursionError) as exc:
            raise UnserializableValueError(f"value cannot be stored: {exc}") from exc
        return self._prepared[0]

    def _encode(self, ops: list[Op]) -> tuple[list[Op], bytes, list[Change] | None]:
        if self.encoded is not None:
            done = self.encoded.prepare(ops)
            if done is not None:
                return done
        body = self.codec.serializer.dumps(ops)
        return self.codec.serializer.loads(body), body, None

    def _changes(self, ops: list[Op]) -> list[Change] | None:
        """The prepared changes as bytes, when ``ops`` are exactly what was prepared last."""
        if self.pending or ops is not self._prepared[0]:
            return None
        return self._prepared[2]

    def _header(self, kind: str, version: int) -> Header:
        expires = None if self.ttl is None else self.clock() + self.ttl
        return Header(kind, self.name, version, self.codec.serializer.name, expires_at=expires)

    def plan(self, ops: list[Op]) -> Write:
        """The write that persists pending changes plus ``ops`` (already prepared).

        A change that would make the journal outgrow its limit at once is written as the
        snapshot it would be compacted into: one write instead of two.
        """
        version = self.version + 1
        if isinstance(self.backend, JournalingBackend) and not self.needs_snapshot:
            header = self._header("ops", version)
            if not self.pending and ops is self._prepared[0]:
                body = self._prepared[1]
                if not self._outgrows(len(body) * self._ratio) or self._changes(ops) is None:
                    blob = self.codec.seal_body(header, body)
                    self._ratio = len(blob) / max(1, len(body))
                    return Write("append", blob, version, self.token)
            else:
                return Write(
                    "append", self.codec.seal(header, self.pending + ops), version, self.token
                )
        return Write("replace", self._snapshot_after(ops, version), version, self.token)

    def _outgrows(self, record_bytes: float) -> bool:
        backend = self.backend
        assert isinstance(backend, JournalingBackend)
        return self.journal_bytes + record_bytes > max(backend.journal_limit, self.snapshot_bytes)

    def _snapshot_after(self, ops: list[Op], version: int) -> bytes:
        changes = self._changes(ops)
        if self.encoded is not None and changes is not None and self.encoded.splicable(self.data):
            body = self.encoded.body(self.data, changes)
            return self.codec.seal_body(self._header("snap", version), body)
        return self.snapshot(apply_ops(copy.deepcopy(self.data), ops), version)

    def snapshot(self, data: Mapping[str, Any], version: int, name: str | None = None) -> bytes:
        """``data`` sealed as a snapshot of ``name`` (this session by default) at ``version``."""
        header = self._header("snap", version)
        if name is not None:
            header = Header("snap", name, version, header.serializer, expires_at=header.expires_at)
        if data is self.data and self.encoded is not None and self.encoded.splicable(data):
            return self.codec.seal_body(header, self.encoded.body(data))
        return self.codec.seal(header, dict(data))

    def committed(self, write: Write, token: Token, ops: list[Op]) -> None:
        """The backend acknowledged ``write``: apply ``ops`` and move to its version."""
        if self.encoded is not None:
            changes = self._changes(ops)
            if changes is None:
                self.encoded.forget(self.pending + ops)
            else:
                self.encoded.apply(changes)
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

    def updated(self, fn: Callable[[dict[str, Any]], dict[str, Any] | None]) -> dict[str, Any]:
        """What ``fn`` makes of a copy of the data (``update_with``)."""
        current = copy.deepcopy(self.data)
        result = fn(current)
        new = current if result is None else result
        if not isinstance(new, dict):
            raise TypeError(
                f"update_with: the function returned {type(new).__qualname__}; return the new "
                "data as a dict, or change the dict it gets and return None"
            )
        return new

    def stage(self, ops: list[Op]) -> None:
        """Apply prepared ``ops`` now and persist them on the next save (``auto_save=False``)."""
        if not self.pending:
            self._base = copy.deepcopy(self.data)  # what a three-way merge starts from
        if self.encoded is not None:
            self.encoded.forget(ops)
        self.data = apply_ops(self.data, ops)
        self.pending.extend(ops)

    def rebase(self, stored: Stored | None, ops: list[Op], policy: ConflictPolicy) -> list[Op]:
        """After a lost compare-and-swap: take ``stored`` and return the ops to retry."""
        mine = self.pending + ops
        if not callable(policy):
            self.absorb(stored)
            return mine
        base = self._base if self.pending else self.data
        ours = apply_ops(copy.deepcopy(self.data), ops)
        self.absorb(stored)
        theirs = copy.deepcopy(self.data)
        if merge_arity(policy) == 3:
            merged = policy(copy.deepcopy(base), theirs, ours)
        else:
            merged = policy(theirs, ours)
        if not isinstance(merged, dict):
            raise TypeError(
                f"on_conflict merge function returned {type(merged).__qualname__}, not a dict"
            )
        return self.prepare([["all", merged]])

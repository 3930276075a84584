"""Rebuilding a session from what a store holds, and the report of what was found damaged.

A plain open refuses anything damaged; a recovery keeps everything intact (a valid snapshot, else
the previous one, then every intact journal record after it, in version order) and reports the
rest. Nothing here deletes bytes: the caller quarantines the damaged pieces before rewriting.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from powertools.session._backend import Piece, Stored
from powertools.session._envelope import Codec, SettingsMismatch
from powertools.session.errors import CorruptSessionError

__all__ = ["Op", "Rebuilt", "RecoveryReport", "apply_ops", "log", "rebuild", "version_ranges"]

log = logging.getLogger("powertools.session")


#: One change: ["set", key, value], ["del", key], ["app", key, item] or ["all", data].
Op = list[Any]


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


def version_ranges(versions: Iterable[int]) -> tuple[tuple[int, int], ...]:
    """Sorted versions as ``(first, last)`` runs.

    >>> version_ranges([1, 2, 3, 6, 7, 9])
    ((1, 3), (6, 7), (9, 9))
    """
    runs: list[list[int]] = []
    for v in sorted(set(versions)):
        if runs and runs[-1][1] == v - 1:
            runs[-1][1] = v
        else:
            runs.append([v, v])
    return tuple((a, b) for a, b in runs)


def _runs(ranges: Iterable[tuple[int, int]]) -> str:
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges) or "none"


@dataclass(frozen=True, slots=True)
class RecoveryReport:
    """What a load or a recovery found wrong with a session, and what it did about it.

    ``damaged`` lists each damaged piece as ``"<location>: <reason>"``; ``recovered`` the
    versions whose data is in the session now, as ``(first, last)`` runs; ``missing`` the
    versions that could not be recovered; ``notes`` what a store fixed on its own (a torn last
    record cut off); ``quarantine`` where the damaged bytes were copied; ``accepted`` whether
    the user accepted the result (until then a plain open of the session raises).

    >>> r = RecoveryReport("s", damaged=("s.journal record 1: checksum mismatch",),
    ...                    recovered=((2, 3),), missing=((1, 1),), quarantine="s.quarantine")
    >>> print(r)
    session 's': 1 damaged piece(s), recovered versions 2-3, missing versions 1
      damaged: s.journal record 1: checksum mismatch
      quarantined in: s.quarantine
    """

    session: str
    damaged: tuple[str, ...] = ()
    recovered: tuple[tuple[int, int], ...] = ()
    missing: tuple[tuple[int, int], ...] = ()
    notes: tuple[str, ...] = ()
    quarantine: str | None = None
    accepted: bool = False
    at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())

    def __str__(self) -> str:
        lines = [
            f"session {self.session!r}: {len(self.damaged)} damaged piece(s), recovered "
            f"versions {_runs(self.recovered)}, missing versions {_runs(self.missing)}"
        ]
        lines += [f"  damaged: {d}" for d in self.damaged]
        lines += [f"  note: {n}" for n in self.notes]
        if self.quarantine:
            lines.append(f"  quarantined in: {self.quarantine}")
        return "\n".join(lines)

    def to_json(self) -> str:
        """The report as one JSON object (what a store keeps as the session's mark)."""
        return json.dumps(
            {
                "session": self.session,
                "damaged": self.damaged,
                "recovered": self.recovered,
                "missing": self.missing,
                "notes": self.notes,
                "quarantine": self.quarantine,
                "at": self.at,
            }
        )

    @classmethod
    def from_json(cls, text: str, session: str) -> RecoveryReport:
        """Parse :meth:`to_json`; an unreadable mark still yields a report saying so."""
        try:
            d: dict[str, Any] = json.loads(text)
            return cls(
                session,
                tuple(d["damaged"]),
                tuple((int(a), int(b)) for a, b in d["recovered"]),
                tuple((int(a), int(b)) for a, b in d["missing"]),
                tuple(d["notes"]),
                d["quarantine"],
                at=str(d["at"]),
            )
        except (ValueError, KeyError, TypeError):
            return cls(session, notes=(f"the recovery mark is unreadable: {text[:200]!r}",))


@dataclass(slots=True)
class Rebuilt:
    """The state rebuilt from one load, and everything that stood in the way."""

    data: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    expires: float | None = None
    damaged: list[Piece] = field(default_factory=list)
    applied: list[int] = field(default_factory=list)
    missing: list[tuple[int, int]] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """Whether anything at all could be read back."""
        return bool(self.applied)

    def refusal(self, stored: Stored) -> CorruptSessionError | None:
        """Why a plain open must refuse this state, or None when it is whole."""
        if self.damaged:
            first = self.damaged[0]
            return CorruptSessionError(first.location, first.reason)
        if self.missing:
            a, b = self.missing[0]
            return CorruptSessionError(
                stored.journal_location, f"versions {_runs([(a, b)])} are missing"
            )
        return None

    def report(self, name: str, notes: Iterable[str], quarantine: str | None) -> RecoveryReport:
        """This rebuild as a :class:`RecoveryReport`."""
        return RecoveryReport(
            name,
            tuple(f"{p.location}: {p.reason}" for p in self.damaged),
            version_ranges(self.applied),
            tuple(self.missing),
            tuple(notes),
            quarantine,
        )


def _base(codec: Codec, name: str, stored: Stored, out: Rebuilt) -> None:
    """Start from the snapshot, or from the fallback when the snapshot does not open."""
    candidates = (
        (stored.snapshot, stored.snapshot_location, "snap"),
        (stored.fallback, stored.fallback_location, "snap.prev"),
    )
    for blob, where, label in candidates:
        if blob is None:
            continue
        try:
            header, value = codec.open(blob, where, name)
            if header.kind != "snap" or not isinstance(value, dict):
                raise CorruptSessionError(where, f"holds a {header.kind!r} piece, not a snapshot")
        except SettingsMismatch:
            raise
        except CorruptSessionError as exc:
            out.damaged.append(Piece(where, label, exc.reason, blob))
            continue
        out.data, out.version, out.expires = value, header.version, header.expires_at
        out.applied.append(header.version)
        return


def _replay(codec: Codec, name: str, blob: bytes, out: Rebuilt, *, where: str, label: str) -> None:
    """Apply one journal record if it is intact and newer than the state."""
    try:
        header, ops = codec.open(blob, where, name)
        if header.kind != "ops" or not isinstance(ops, list):
            raise CorruptSessionError(where, f"holds a {header.kind!r} piece, not a record")
    except SettingsMismatch:
        raise
    except CorruptSessionError as exc:
        out.damaged.append(Piece(where, label, exc.reason, blob))
        return
    if header.version <= out.version:
        return  # a leftover of an interrupted compaction, or a duplicate
    if header.version != out.version + 1:
        out.missing.append((out.version + 1, header.version - 1))
    try:
        apply_ops(out.data, ops)
    except (AttributeError, TypeError, IndexError, KeyError) as exc:
        out.damaged.append(Piece(where, label, f"cannot be applied here: {exc}", blob))
        return
    out.version, out.expires = header.version, header.expires_at
    out.applied.append(header.version)


def rebuild(codec: Codec, name: str, stored: Stored) -> Rebuilt:
    """Everything intact in ``stored``, in version order, and a list of what was not.

    Settings that do not fit the stored data (another serializer, a missing key) raise at once:
    that is not damage, and nothing must be quarantined because of it.
    """
    out = Rebuilt()
    _base(codec, name, stored, out)  # a damaged snapshot is named first: it matters most
    out.damaged += stored.damaged
    for i, blob in enumerate(stored.records):
        where = f"{stored.journal_location} record {i + 1}"
        _replay(codec, name, blob, out, where=where, label=f"record-{i + 1}")
    if stored.version_is_recorded and stored.version > out.version:
        out.missing.append((out.version + 1, stored.version))
    elif stored.version_is_recorded and stored.version < out.version:
        reason = f"the stored version is {stored.version}, the data reaches {out.version}"
        out.damaged.append(Piece(stored.snapshot_location, "version", reason))
    return out

"""``memory://space``: sessions in this process only, shared by every Session naming ``space``."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from powertools.session._backend import Durability, JournalingBackend, Piece, Stored, Token
from powertools.session.errors import ConflictError

__all__ = ["MemoryBackend"]


@dataclass(slots=True)
class _Entry:
    snapshot: bytes | None = None
    records: list[bytes] = field(default_factory=list)
    version: int = 0
    marker: str | None = None
    quarantine: dict[str, bytes] = field(default_factory=dict)


_SPACES: dict[str, dict[str, _Entry]] = {}
_LEASES: dict[tuple[str, str], tuple[str, float]] = {}
_SPACES_LOCK = threading.Lock()


class MemoryBackend(JournalingBackend):
    """Sessions in a dict of this process: for tests and throwaway state.

    >>> from powertools.session import Session
    >>> s = Session("demo", store="memory://doctest")
    >>> s.set("a", 1)
    >>> Session("demo", store="memory://doctest").get("a")
    1
    """

    def __init__(self, space: str = "", durability: Durability = "none") -> None:
        super().__init__(durability)
        self.space = space
        with _SPACES_LOCK:
            self._entries = _SPACES.setdefault(space, {})
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, durability: Durability) -> MemoryBackend:
        """``memory://`` or ``memory://space``."""
        return cls(url.split("://", 1)[1].strip("/"), durability)

    def load(self, name: str, recover: bool = False) -> Stored | None:
        """The stored envelopes of ``name``."""
        with self._lock:
            entry = self._entries.get(name)
            if entry is None or (entry.snapshot is None and not entry.records and not entry.marker):
                return None
            where = f"memory://{self.space}/{name}"
            return Stored(
                entry.snapshot,
                list(entry.records),
                entry.version,
                entry.version,
                where,
                where,
                sum(map(len, entry.records)),
                marker=entry.marker,
                marker_location=f"{where} (recovery mark)",
                version_is_recorded=True,
            )

    def quarantine_location(self, name: str) -> str:
        """``memory://space/name.quarantine``."""
        return f"memory://{self.space}/{name}.quarantine"

    def quarantine(self, name: str, pieces: list[Piece], report: str, expected: Token) -> Token:
        """Keep copies of the damaged pieces beside the entry and mark it."""
        with self._lock:
            entry = self._check(name, expected)
            for piece in pieces:
                if piece.data:
                    entry.quarantine.setdefault(piece.label, piece.data)
            entry.marker = report
            return expected

    def quarantined(self, name: str) -> dict[str, bytes]:
        """The quarantine copies of ``name``, by label (for tests and tools)."""
        with self._lock:
            entry = self._entries.get(name)
            return {} if entry is None else dict(entry.quarantine)

    def accept(self, name: str) -> None:
        """Drop the mark."""
        with self._lock:
            entry = self._entries.get(name)
            if entry is not None:
                entry.marker = None

    def delete_if(self, name: str, expected: Token) -> bool:
        """Forget ``name`` if it is still at version ``expected``."""
        with self._lock:
            entry = self._entries.get(name)
            if entry is None or entry.version != expected:
                return False
            del self._entries[name]
            return True

    def _check(self, name: str, expected: Token) -> _Entry:
        entry = self._entries.get(name)
        current = 0 if entry is None else entry.version
        if current != expected:
            raise ConflictError(name, int(expected or 0), current)  # and leave no entry behind
        return self._entries.setdefault(name, _Entry())

    def append(
        self, name: str, record: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        """Add a record if ``name`` is still at version ``expected``."""
        with self._lock:
            entry = self._check(name, expected)
            entry.records.append(record)
            entry.version = version
            return version

    def replace(
        self, name: str, snapshot: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        """Write a snapshot and drop the journal if ``name`` is still at ``expected``."""
        with self._lock:
            entry = self._check(name, expected)
            entry.snapshot, entry.records, entry.version = snapshot, [], version
            return version

    def delete(self, name: str) -> None:
        """Forget ``name``."""
        with self._lock:
            self._entries.pop(name, None)

    def try_lease(self, name: str, owner: str, ttl: float) -> bool:
        """Take the lease if it is free or its holder's time ran out."""
        with _SPACES_LOCK:
            held = _LEASES.get((self.space, name))
            if held is not None and held[0] != owner and held[1] > time.monotonic():
                return False
            _LEASES[(self.space, name)] = (owner, time.monotonic() + ttl)
            return True

    def release_lease(self, name: str, owner: str) -> None:
        """Drop the lease if ``owner`` still holds it."""
        with _SPACES_LOCK:
            if _LEASES.get((self.space, name), ("",))[0] == owner:
                del _LEASES[(self.space, name)]

    def names(self) -> list[str]:
        """Every session of this space."""
        with self._lock:
            return sorted(self._entries)

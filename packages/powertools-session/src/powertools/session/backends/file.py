"""``file:///folder``: one snapshot and one append-only journal per session, under a file lock.

Writes append an envelope to ``<name>.journal`` (fsynced with ``durability="power"``). Once the
journal outgrows the snapshot, the session is compacted: the new snapshot goes to a temporary
file, is fsynced, the old one becomes ``<name>.snap.prev``, the new one is renamed into place, the
folder is fsynced and the journal truncated. Journal records at or below the snapshot's version
are leftovers of an interrupted compaction and are skipped. A torn last record (a write cut by
``kill -9`` or a power loss, so never acknowledged) is cut off under the lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from powertools.session._backend import Durability, JournalingBackend, Stored, Token
from powertools.session._envelope import MAGIC, peek_header, split_envelopes
from powertools.session.errors import ConflictError, CorruptSessionError

__all__ = ["FileBackend"]

_SUFFIXES = (".snap", ".journal")


@dataclass(slots=True, frozen=True)
class _Mark:
    """What the files looked like after our last read or write, and the version then."""

    snapshot: tuple[int, int, int] | None
    journal_size: int
    version: int


def _stat_key(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


class FileBackend(JournalingBackend):
    """Sessions as files in one folder; safe across threads and processes on one machine.

    >>> import tempfile
    >>> from powertools.session import Session
    >>> folder = tempfile.mkdtemp()
    >>> Session("notes", store=f"file://{folder}").set("k", "v")
    >>> FileBackend(Path(folder)).names()
    ['notes']
    """

    def __init__(
        self, root: Path, durability: Durability = "power", journal_limit: int | None = None
    ) -> None:
        super().__init__(durability)
        self.root = root
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        if journal_limit is not None:
            self.journal_limit = journal_limit
        self._marks: dict[str, _Mark] = {}
        self._thread_lock = threading.Lock()
        self._leases: dict[str, int] = {}

    @classmethod
    def from_url(cls, url: str, durability: Durability) -> FileBackend:
        """``file:///absolute/folder?journal_limit=BYTES``."""
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        limit = int(query["journal_limit"][0]) if "journal_limit" in query else None
        return cls(Path(unquote(parts.netloc + parts.path)), durability, limit)

    def _paths(self, name: str) -> tuple[Path, Path, Path]:
        return (
            self.root / f"{name}.snap",
            self.root / f"{name}.snap.prev",
            self.root / f"{name}.journal",
        )

    @contextlib.contextmanager
    def _locked(self, name: str) -> Iterator[None]:
        with self._thread_lock:
            fd = os.open(self.root / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)

    def _fsync_dir(self) -> None:
        fd = os.open(self.root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def load(self, name: str, recover: bool = False) -> Stored | None:
        """Snapshot and journal of ``name``; ``recover`` sets a corrupt snapshot aside."""
        with self._locked(name):
            return self._load(name, recover)

    def _snapshot(self, name: str, recover: bool) -> tuple[bytes | None, int]:
        snap, prev, _ = self._paths(name)
        blob = _read(snap)
        if blob is not None:
            try:
                return blob, peek_header(blob, str(snap)).version
            except CorruptSessionError:
                if not recover:
                    raise
                snap.replace(snap.with_name(f"{snap.name}.corrupt"))
        blob = _read(prev)
        if blob is None:
            return None, 0
        return blob, peek_header(blob, str(prev)).version

    def _journal(self, name: str, recover: bool) -> list[bytes]:
        journal = self._paths(name)[2]
        data = _read(journal) or b""
        records, end = split_envelopes(data)
        if end < len(data):
            if not recover and data.find(MAGIC, end + 1) != -1:
                whole, _ = split_envelopes(data[data.find(MAGIC, end + 1) :])
                if whole:
                    raise CorruptSessionError(str(journal), f"damaged record at byte {end}")
            # A torn last record was never acknowledged: cut it off before anyone appends.
            os.truncate(journal, end)
        return records

    def _load(self, name: str, recover: bool) -> Stored | None:
        snap_path, _, journal_path = self._paths(name)
        snapshot, version = self._snapshot(name, recover)
        records: list[bytes] = []
        for record in self._journal(name, recover):
            header = peek_header(record, str(journal_path))
            if header.version > version or records:
                records.append(record)
                version = max(version, header.version)
        journal_size = _size(journal_path)
        self._marks[name] = _Mark(_stat_key(snap_path), journal_size, version)
        if snapshot is None and not records:
            return None
        return Stored(
            snapshot,
            records,
            version,
            version,
            str(snap_path),
            str(journal_path),
            sum(map(len, records)),
        )

    def _current(self, name: str) -> int:
        snap, _, journal = self._paths(name)
        mark = self._marks.get(name)
        if mark is not None and mark == _Mark(_stat_key(snap), _size(journal), mark.version):
            return mark.version
        stored = self._load(name, recover=False)
        return 0 if stored is None else stored.version

    def append(
        self, name: str, record: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        """Append one record if ``name`` is still at version ``expected``."""
        snap, _, journal = self._paths(name)
        with self._locked(name):
            current = self._current(name)
            if current != expected:
                raise ConflictError(name, int(expected or 0), current)
            fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, record)
                if self.durability == "power":
                    os.fsync(fd)
                size = os.fstat(fd).st_size
            finally:
                os.close(fd)
            if size == len(record) and self.durability == "power":
                self._fsync_dir()
            self._marks[name] = _Mark(_stat_key(snap), size, version)
            return version

    def replace(
        self, name: str, snapshot: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        """Write a new snapshot (temp file, fsync, rename, fsync folder), then empty the journal."""
        snap, prev, journal = self._paths(name)
        with self._locked(name):
            current = self._current(name)
            if current != expected:
                raise ConflictError(name, int(expected or 0), current)
            tmp = self.root / f".{name}.snap.{os.getpid()}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, snapshot)
                if self.durability == "power":
                    os.fsync(fd)
            finally:
                os.close(fd)
            if snap.exists():
                snap.replace(prev)
            tmp.replace(snap)
            if self.durability == "power":
                self._fsync_dir()
            if journal.exists():
                self._truncate(journal)
            self._marks[name] = _Mark(_stat_key(snap), 0, version)
            return version

    def _truncate(self, journal: Path) -> None:
        fd = os.open(journal, os.O_WRONLY)
        try:
            os.ftruncate(fd, 0)
            if self.durability == "power":
                os.fsync(fd)
        finally:
            os.close(fd)

    def delete(self, name: str) -> None:
        """Remove the session's files (its lock file stays: other processes may hold it)."""
        with self._locked(name):
            for path in self._paths(name):
                path.unlink(missing_ok=True)
            self._marks.pop(name, None)

    def try_lease(self, name: str, owner: str, ttl: float) -> bool:
        """flock ``<name>.lease`` without waiting; held until released or the process ends."""
        fd = os.open(self.root / f"{name}.lease", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._leases[owner] = fd
        return True

    def release_lease(self, name: str, owner: str) -> None:
        """Close the lease file (which drops the flock)."""
        fd = self._leases.pop(owner, None)
        if fd is not None:
            os.close(fd)

    def names(self) -> list[str]:
        """Every session with a snapshot or a journal in the folder."""
        found = set()
        for path in self.root.iterdir():
            for suffix in _SUFFIXES:
                if path.name.endswith(suffix) and not path.name.startswith("."):
                    found.add(path.name.removesuffix(suffix))
        return sorted(found)

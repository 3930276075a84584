"""``file:///folder``: one snapshot and one append-only journal per session, under a file lock.

Writes append an envelope to ``<name>.journal`` (fsynced with ``durability="power"``). Once the
journal outgrows the snapshot, the session is compacted: the new snapshot goes to a temporary
file, is fsynced, the old one becomes ``<name>.snap.prev``, the new one is renamed into place, the
folder is fsynced and the journal truncated. Journal records at or below the snapshot's version
are leftovers of an interrupted compaction and are skipped. A torn last record (fewer bytes than
its header says: a write cut by a power loss, so never acknowledged) is cut off under the lock,
its bytes kept in ``<name>.quarantine/``; a complete record whose checksum fails is damage.

Durability: ``"power"`` fsyncs every write, the folder after renames and a new folder's parent.
``"process"`` fsyncs none of the session's own writes (each is in the OS page cache when the call
returns, so it survives the process, not a power cut), but still fsyncs what a recovery sets
aside (quarantine copies and the damage mark) before anything is rewritten. ``"none"`` fsyncs
nothing at all, recovery's copies included: the cheapest setting, for data you can rebuild.

Damage is reported in ``Stored.damaged``, never repaired here: ``quarantine`` copies it into
``<name>.quarantine/`` and writes the mark ``<name>.damaged`` (the recovery report), which stays
until the recovery is accepted.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from powertools.session._backend import (
    Durability,
    JournalingBackend,
    Piece,
    Stored,
    Token,
    kept_name,
)
from powertools.session._envelope import (
    best_effort_version,
    peek_header,
    scan_journal,
    version_of,
)
from powertools.session.errors import ConflictError, CorruptSessionError

__all__ = ["FileBackend"]

_SUFFIXES = (".snap", ".journal")
_HIGH_WATER = struct.Struct(">Q")


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


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
        #: "process" and "power" fsync what a recovery sets aside before it rewrites anything.
        self._guards_damage = durability != "none"
        if not root.is_dir():
            root.mkdir(parents=True, exist_ok=True, mode=0o700)
            if durability == "power":
                _fsync_path(root.parent)  # the new folder's entry survives a power cut too
        if journal_limit is not None:
            self.journal_limit = journal_limit
        self._marks: dict[str, _Mark] = {}
        self._thread_lock = threading.Lock()
        self._leases: dict[str, int] = {}
        self._bad_snapshots: set[str] = set()
        self._lock_fd = -1

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

    def _marker(self, name: str) -> Path:
        return self.root / f"{name}.damaged"

    def quarantine_location(self, name: str) -> str:
        """``<folder>/<name>.quarantine``."""
        return str(self.root / f"{name}.quarantine")

    @contextlib.contextmanager
    def _locked(self, name: str) -> Iterator[None]:
        path = self.root / f"{name}.lock"
        with self._thread_lock:
            while True:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    current = os.stat(path).st_ino
                except FileNotFoundError:
                    current = -1
                if current == os.fstat(fd).st_ino:
                    break
                os.close(fd)  # ``delete`` removed this lock file while we waited: lock anew
            self._lock_fd = fd
            try:
                yield
            finally:
                self._lock_fd = -1
                os.close(fd)

    def _high_water(self) -> int:
        """The newest version acknowledged here, as the lock file records it (0: none)."""
        raw = os.pread(self._lock_fd, _HIGH_WATER.size, 0)
        return _HIGH_WATER.unpack(raw)[0] if len(raw) == _HIGH_WATER.size else 0

    def _set_high_water(self, version: int) -> None:
        """Record ``version`` once its bytes are written (fsynced first, for power): a journal
        that ends before it has lost acknowledged records."""
        os.pwrite(self._lock_fd, _HIGH_WATER.pack(version), 0)

    def _fsync_dir(self) -> None:
        _fsync_path(self.root)

    def load(self, name: str, recover: bool = False) -> Stored | None:
        """Snapshot and journal of ``name``, with whatever is damaged listed, never repaired."""
        with self._locked(name):
            return self._load(name)

    def _snapshot(self, name: str, damaged: list[Piece]) -> tuple[bytes | None, bytes | None, int]:
        """The snapshot, the fallback to use if it is damaged, and the newest version seen."""
        snap, prev, _ = self._paths(name)
        blob = _read(snap)
        seen = 0
        if blob is not None:
            try:
                return blob, None, peek_header(blob, str(snap)).version
            except CorruptSessionError:
                # The caller decodes it again and reports it; offer the previous one. Its header
                # may still say its version: the recovered state is saved after that one.
                seen = best_effort_version(blob)
        fallback = _read(prev)
        if blob is None and fallback is not None:
            damaged.append(Piece(str(snap), "snap", "missing, though the previous snapshot exists"))
        return blob, fallback, max(seen, best_effort_version(fallback or b""))

    def _cut_tail(self, name: str, journal: Path, data: bytes, start: int) -> str:
        """Cut a torn last record off (keeping its bytes) and say so."""
        folder = Path(self.quarantine_location(name))
        kept = folder / kept_name(f"torn@{start}", data[start:])
        self._keep(folder, [(kept, data[start:])])
        os.truncate(journal, start)
        return (
            f"{journal}: a torn last record ({len(data) - start} bytes at byte {start}, never "
            f"acknowledged) was cut off; its bytes are kept in {kept}"
        )

    def _journal(self, name: str, damaged: list[Piece], problems: list[str]) -> list[bytes]:
        snap, _, journal = self._paths(name)
        data = _read(journal)
        if data is None:
            if snap.exists():
                damaged.append(Piece(str(journal), "journal", "missing beside the snapshot"))
            return []
        scan = scan_journal(data)
        for start, end, why in scan.damaged:
            where = f"{journal} bytes {start}-{end}"
            damaged.append(Piece(where, f"journal@{start}", why, data[start:end]))
        if scan.torn is not None:
            problems.append(self._cut_tail(name, journal, data, scan.torn))
        return [blob for _, blob in scan.records]

    def _load(self, name: str) -> Stored | None:
        snap_path, prev_path, journal_path = self._paths(name)
        damaged: list[Piece] = []
        problems: list[str] = []
        snapshot, fallback, version = self._snapshot(name, damaged)
        records = self._journal(name, damaged, problems)
        for record in records:
            with contextlib.suppress(CorruptSessionError):
                version = max(version, version_of(record, str(journal_path)))
        version = max(version, self._high_water())
        marker_path = self._marker(name)
        marker = _read(marker_path)
        self._marks[name] = _Mark(_stat_key(snap_path), _size(journal_path), version)
        if not (snapshot or fallback or records or damaged or marker or version):
            return None
        return Stored(
            snapshot,
            records,
            version,
            version,
            str(snap_path),
            str(journal_path),
            sum(map(len, records)),
            problems=problems,
            damaged=damaged,
            fallback=fallback,
            fallback_location=str(prev_path),
            marker=None if marker is None else marker.decode("utf-8", "replace"),
            marker_location=str(marker_path),
            version_is_recorded=True,
        )

    def _current(self, name: str) -> int:
        snap, _, journal = self._paths(name)
        mark = self._marks.get(name)
        # The high-water mark moves with every write from any process, so a recycled inode
        # number with the same size and mtime cannot pass for the files we last saw.
        if (
            mark is not None
            and mark.version == self._high_water()
            and mark == _Mark(_stat_key(snap), _size(journal), mark.version)
        ):
            return mark.version
        stored = self._load(name)
        return 0 if stored is None else stored.version

    def _check(self, name: str, expected: Token) -> None:
        current = self._current(name)
        if current != expected:
            raise ConflictError(name, int(expected or 0), current)

    def append(
        self, name: str, record: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        """Append one record if ``name`` is still at version ``expected``."""
        snap, _, journal = self._paths(name)
        with self._locked(name):
            self._check(name, expected)
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
            self._set_high_water(version)
            self._marks[name] = _Mark(_stat_key(snap), size, version)
            return version

    def _write_file(self, path: Path, data: bytes, sync: bool | None = None) -> None:
        """``data`` into a temporary file beside ``path`` (fsynced if ``sync``, by default for
        power), renamed over it."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            if self.durability == "power" if sync is None else sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(path)

    def replace(
        self, name: str, snapshot: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        """Write a new snapshot (temp file, fsync, rename, fsync folder), then empty the journal.

        The snapshot it replaces stays as ``.prev`` (a hard link made before the rename, so the
        snapshot itself never goes missing), unless it was quarantined as damaged.
        """
        snap, prev, journal = self._paths(name)
        with self._locked(name):
            self._check(name, expected)
            if snap.exists() and name not in self._bad_snapshots:
                link = self.root / f".{name}.prev.{os.getpid()}.tmp"
                link.unlink(missing_ok=True)
                os.link(snap, link)
                link.replace(prev)
            self._bad_snapshots.discard(name)
            os.close(os.open(journal, os.O_WRONLY | os.O_CREAT, 0o600))  # exists before the snap
            self._write_file(snap, snapshot)
            if self.durability == "power":
                self._fsync_dir()
            self._set_high_water(version)
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

    def _keep(self, folder: Path, copies: list[tuple[Path, bytes]]) -> None:
        """Write quarantine copies (each once), fsynced unless durability is "none", so that
        they outlive what replaces them even if the machine loses power in between."""
        folder.mkdir(mode=0o700, exist_ok=True)
        for path, data in copies:
            if not path.exists():
                self._write_file(path, data, sync=self._guards_damage)
        if self._guards_damage:
            _fsync_path(folder)
            self._fsync_dir()

    def quarantine(self, name: str, pieces: list[Piece], report: str, expected: Token) -> Token:
        """Copy every damaged piece into ``<name>.quarantine/`` and write the mark."""
        with self._locked(name):
            self._check(name, expected)
            folder = Path(self.quarantine_location(name))
            copies = [(folder / kept_name(p.label, p.data), p.data) for p in pieces if p.data]
            self._keep(folder, copies)
            if any(p.label == "snap" for p in pieces):
                self._bad_snapshots.add(name)  # never make the damaged snapshot the .prev
            self._write_file(self._marker(name), report.encode(), sync=self._guards_damage)
            if self._guards_damage:
                self._fsync_dir()
            return expected

    def accept(self, name: str) -> None:
        """Remove the mark ``<name>.damaged``; the quarantine folder stays."""
        with self._locked(name):
            self._marker(name).unlink(missing_ok=True)
            if self._guards_damage:
                self._fsync_dir()

    def _remove(self, name: str) -> None:
        for path in self._paths(name):
            path.unlink(missing_ok=True)
        (self.root / f"{name}.lock").unlink(missing_ok=True)  # lockers re-check the inode
        self._marks.pop(name, None)

    def delete(self, name: str) -> None:
        """Remove the session's files (its quarantine folder and mark stay)."""
        with self._locked(name):
            self._remove(name)

    def delete_if(self, name: str, expected: Token) -> bool:
        """Remove the session's files if it is still at version ``expected``."""
        with self._locked(name):
            if self._current(name) != expected:
                return False
            self._remove(name)
            return True

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

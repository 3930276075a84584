"""The storage contract every backend implements, and how a store URL picks a backend.

A backend stores, per session name, one snapshot and (a ``JournalingBackend``) a journal of records
written after it, each an envelope (see ``_envelope``). Every write is a compare-and-swap on a
token the backend hands out: the session's integer version where the backend can check it
atomically (file, memory, Redis, PostgreSQL), the object's ETag or generation on S3 and GCS.
"""

from __future__ import annotations

import asyncio
import os
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from powertools.session.errors import (
    BackendError,
    CorruptSessionError,
    InvalidSessionNameError,
    MissingExtraError,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Backend",
    "Durability",
    "JournalingBackend",
    "Piece",
    "Stored",
    "Token",
    "check_name",
    "default_store",
    "kept_name",
    "open_backend",
    "redact",
    "require_extra",
]

ENTRY_POINT_GROUP = "powertools.session.backends"
Durability = Literal["none", "process", "power"]
DURABILITIES = ("none", "process", "power")
Token = int | str | None
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")


@dataclass(slots=True, frozen=True)
class Piece:
    """Stored bytes found damaged: where they were, why, and the bytes themselves.

    ``label`` is short and unique within one load (``snap``, ``journal@1234``, ``record-3``);
    quarantine copies are named after it. ``data`` is empty for a piece that is missing.
    """

    location: str
    label: str
    reason: str
    data: bytes = b""


@dataclass(slots=True)
class Stored:
    """What a backend holds for one session, as of one moment.

    ``records`` are the journal records whose framing is intact, in stored order; ``damaged``
    the pieces the backend itself found broken (a garbled stretch of a journal file, a missing
    file). ``fallback`` is an older snapshot to use when ``snapshot`` does not open (the file
    store's ``.prev``). ``marker`` is the report of a recovery not yet accepted, if any.
    """

    snapshot: bytes | None
    records: list[bytes]
    token: Token
    version: int
    snapshot_location: str
    journal_location: str
    journal_bytes: int = 0
    problems: list[str] = field(default_factory=list)
    damaged: list[Piece] = field(default_factory=list)
    fallback: bytes | None = None
    fallback_location: str = ""
    marker: str | None = None
    marker_location: str = ""
    #: Whether ``version`` is kept apart from the data (a version key or column), so that
    #: records missing from the end of the journal can be noticed.
    version_is_recorded: bool = False


class Backend(ABC):
    """A store of snapshots (S3, GCS): each write replaces the session's whole snapshot.

    Sync methods are the contract; the async twins run them in a thread unless overridden.
    """

    #: The token of a session that does not exist yet.
    initial_token: Token = 0

    def __init__(self, durability: Durability = "power") -> None:
        self.durability: Durability = durability

    @classmethod
    @abstractmethod
    def from_url(cls, url: str, durability: Durability) -> Backend:
        """The backend a store URL names."""

    @abstractmethod
    def load(self, name: str, recover: bool = False) -> Stored | None:
        """Everything stored for ``name``, or None. ``recover`` falls back to older copies."""

    @abstractmethod
    def replace(
        self, name: str, snapshot: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        """Write a snapshot at ``version`` (dropping the journal) if still at ``expected``."""

    @abstractmethod
    def delete(self, name: str) -> None:
        """Remove the session; absent is fine."""

    @abstractmethod
    def names(self) -> list[str]:
        """Every session name in this store."""

    def quarantine_location(self, name: str) -> str:
        """Where :meth:`quarantine` keeps the damaged bytes of ``name`` (no I/O)."""
        return ""

    def quarantine(self, name: str, pieces: list[Piece], report: str, expected: Token) -> Token:
        """Copy ``pieces`` aside, mark ``name`` with ``report`` until accepted; returns the token
        the next write must expect. Stores that cannot keep a copy refuse, naming the object."""
        where = ", ".join(piece.location for piece in pieces) or name
        raise CorruptSessionError(
            where,
            f"{type(self).__name__} keeps no quarantine copies; copy the object aside and "
            "delete it to start the session over",
        )

    def accept(self, name: str) -> None:  # noqa: B027 - stores without a quarantine hold no mark
        """Remove the mark left by :meth:`quarantine`: the recovered state is accepted."""

    def delete_if(self, name: str, expected: Token) -> bool:
        """Delete ``name`` only if it is still at ``expected``; False if a writer moved it on.

        The default re-reads and compares (not atomic); every bundled store overrides it with a
        compare-and-delete.
        """
        stored = self.load(name)
        if stored is None or stored.token != expected:
            return False
        self.delete(name)
        return True

    def try_lease(self, name: str, owner: str, ttl: float) -> bool:
        """Take the exclusive lease on ``name`` for ``owner`` if free; False if someone has it."""
        raise BackendError(
            f"{type(self).__name__} has no lease locks: use a file, memory, redis or "
            "postgresql store (writes are still compare-and-swap here)"
        )

    def release_lease(self, name: str, owner: str) -> None:
        """Give back a lease taken by ``owner``; a lease already expired or gone is fine."""
        raise BackendError(f"{type(self).__name__} has no lease locks")

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release connections and files."""

    async def aload(self, name: str, recover: bool = False) -> Stored | None:
        """Async twin of :meth:`load`."""
        return await asyncio.to_thread(self.load, name, recover)

    async def areplace(
        self, name: str, snapshot: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        """Async twin of :meth:`replace`."""
        return await asyncio.to_thread(self.replace, name, snapshot, version, expected, ttl)

    async def adelete(self, name: str) -> None:
        """Async twin of :meth:`delete`."""
        await asyncio.to_thread(self.delete, name)

    async def aquarantine(
        self, name: str, pieces: list[Piece], report: str, expected: Token
    ) -> Token:
        """Async twin of :meth:`quarantine`."""
        return await asyncio.to_thread(self.quarantine, name, pieces, report, expected)

    async def aaccept(self, name: str) -> None:
        """Async twin of :meth:`accept`."""
        await asyncio.to_thread(self.accept, name)

    async def adelete_if(self, name: str, expected: Token) -> bool:
        """Async twin of :meth:`delete_if`."""
        return await asyncio.to_thread(self.delete_if, name, expected)

    async def anames(self) -> list[str]:
        """Async twin of :meth:`names`."""
        return await asyncio.to_thread(self.names)

    async def aclose(self) -> None:
        """Async twin of :meth:`close`."""
        await asyncio.to_thread(self.close)


class JournalingBackend(Backend):
    """A store that can also append journal records, so a change costs what it changed."""

    #: Compact the journal into a snapshot once it is this big (and bigger than the snapshot).
    journal_limit: int = 256 * 1024

    @abstractmethod
    def append(
        self, name: str, record: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        """Add a journal record at ``version`` if the session is still at ``expected``."""

    async def aappend(
        self, name: str, record: bytes, version: int, expected: Token, ttl: float | None
    ) -> Token:
        """Async twin of :meth:`append`."""
        return await asyncio.to_thread(self.append, name, record, version, expected, ttl)


def kept_name(label: str, data: bytes) -> str:
    """A quarantine copy's name: the piece's label and a digest, so a copy is never made twice.

    >>> kept_name("snap", b"x")
    'snap-2d711642b726b044'
    """
    import hashlib

    return f"{label}-{hashlib.sha256(data).hexdigest()[:16]}"


def check_name(name: str) -> str:
    """``name`` if it is a usable session name, else a clear error."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidSessionNameError(
            f"session name {name!r} is not allowed: use 1-200 characters of "
            "letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def default_store() -> str:
    """``POWERTOOLS_SESSION_STORE``, else ``file://`` under ``POWERTOOLS_SESSION_DIR``, else
    the user's data directory."""
    url = os.environ.get("POWERTOOLS_SESSION_STORE")
    if url:
        return url
    folder = os.environ.get("POWERTOOLS_SESSION_DIR")
    if not folder:
        import platformdirs

        folder = str(Path(platformdirs.user_data_dir("powertools")) / "sessions")
    return Path(folder).absolute().as_uri()


def require_extra(module: str, extra: str, thing: str) -> None:
    """Import ``module`` or raise :class:`MissingExtraError` naming the extra that provides it.

    ``thing`` is what needs it, e.g. ``"the s3:// session store"``.
    """
    try:
        __import__(module)
    except ImportError as exc:
        raise MissingExtraError(thing, extra) from exc


def open_backend(url: str | None, durability: Durability = "power") -> Backend:
    """The backend for a store URL, found by its scheme in the entry-point group."""
    if durability not in DURABILITIES:
        raise ValueError(f"durability {durability!r} is not one of {DURABILITIES}")
    url = url or default_store()
    scheme = url.split("://", 1)[0] if "://" in url else ""
    from importlib import metadata  # here, not at import: it costs ~20 ms of start-up

    found = metadata.entry_points(group=ENTRY_POINT_GROUP).select(name=scheme)
    if not scheme or not found:
        known = sorted(ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP))
        raise BackendError(f"no session store for {redact(url)!r}: use a URL with one of {known}")
    factory = next(iter(found)).load()
    backend: Backend = factory.from_url(url, durability)
    return backend


def redact(url: str) -> str:
    """The URL without its password."""
    return re.sub(r"://([^:/@]*):[^@/]*@", r"://\1:***@", url)

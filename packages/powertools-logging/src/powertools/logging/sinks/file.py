"""Rotating JSON-lines file sink: size and time rotation, retention, gzip, a durable mode.

In durable mode each event is written with one ``os.write`` (and ``fsync`` unless
``fsync=False``) before the logging call returns, so an acknowledged event survives the process
being killed (and, with fsync, the machine losing power). Otherwise lines are buffered and
written on ``flush()``, rotation, ``close()`` or exit.
"""

from __future__ import annotations

import gzip
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from powertools.logging._query import Query, TimeLike
from powertools.logging._record import LogEvent, LogRecord
from powertools.logging.errors import ConfigurationError

__all__ = ["FileSink", "query_files", "read_jsonl"]


class FileSink:
    """Append one JSON line per event to ``path``, rotating by size and/or age.

    ``max_bytes``: rotate before a write would pass this size. ``interval``: rotate when the
    file is older than this many seconds. ``retention``: keep at most this many rotated files.
    ``compress``: gzip rotated files. Rotated files are named
    ``<stem>.<UTC time>-<serial><suffix>``, so they sort oldest first.
    """

    name = "file"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        level: int = 0,
        max_bytes: int | None = None,
        interval: float | None = None,
        retention: int | None = None,
        compress: bool = False,
        durable: bool = False,
        fsync: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_bytes is not None and max_bytes < 1:
            raise ConfigurationError(f"max_bytes must be positive, got {max_bytes}")
        if interval is not None and interval <= 0:
            raise ConfigurationError(f"interval must be positive seconds, got {interval}")
        if retention is not None and retention < 0:
            raise ConfigurationError(f"retention must be 0 or more files, got {retention}")
        self.level = level
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._max_bytes, self._interval, self._retention = max_bytes, interval, retention
        self._compress, self._durable, self._fsync, self._clock = compress, durable, fsync, clock
        self._rotates = max_bytes is not None or interval is not None
        self._sync_each = durable and fsync
        self._lock = threading.Lock()
        self._open()

    def _open(self) -> None:
        self._file: IO[bytes] = open(self.path, "ab", buffering=0 if self._durable else 65536)  # noqa: SIM115
        self._size = self._file.tell()
        self._opened_at = self._clock()

    def emit(self, record: LogRecord) -> None:
        """Append the record's line, rotating first if it is due."""
        data = record.line.encode() + b"\n"
        with self._lock:
            if self._rotates and self._rotation_due(len(data)):
                self._rotate()
            self._file.write(data)
            self._size += len(data)
            if self._sync_each:
                os.fsync(self._file.fileno())

    def _rotation_due(self, incoming: int) -> bool:
        if self._max_bytes is not None and self._size and self._size + incoming > self._max_bytes:
            return True
        return self._interval is not None and self._clock() - self._opened_at >= self._interval

    def _rotate(self) -> None:
        self._file.close()
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(self._clock()))
        serial = 0
        while True:  # names sort oldest first, also within one second
            target = self.path.with_name(f"{self.path.stem}.{stamp}-{serial:04d}{self.path.suffix}")
            if not (target.exists() or target.with_name(target.name + ".gz").exists()):
                break
            serial += 1
        self.path.rename(target)
        if self._compress:
            with open(target, "rb") as raw, gzip.open(f"{target}.gz", "wb") as packed:
                shutil.copyfileobj(raw, packed)
            target.unlink()
        self._apply_retention()
        self._open()

    def rotated_files(self) -> list[Path]:
        """Rotated files, oldest first."""
        pattern = f"{self.path.stem}.*{self.path.suffix}*"
        return sorted(p for p in self.path.parent.glob(pattern) if p != self.path)

    def _apply_retention(self) -> None:
        if self._retention is None:
            return
        rotated = self.rotated_files()
        for old in rotated[: max(0, len(rotated) - self._retention)]:
            old.unlink()

    def flush(self) -> None:
        """Write buffered lines to the file (and fsync it in durable mode)."""
        with self._lock:
            self._file.flush()
            if self._sync_each:
                os.fsync(self._file.fileno())

    def close(self) -> None:
        """Flush and close the file."""
        with self._lock:
            if not self._file.closed:
                self._file.flush()
                self._file.close()

    def query(self, query: Query) -> list[LogEvent]:
        """Scan the current and rotated files (gzip included) for matching events."""
        if not self._file.closed:
            self.flush()
        return scan_jsonl([*self.rotated_files(), self.path], query)

    def count(self, query: Query) -> int:
        """How many events of the current and rotated files match ``query``."""
        return len(self.query(query.unlimited()))


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[LogEvent]:
    """Every event of a JSON-lines file (``.gz`` read transparently); skips a torn last line."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as lines:
        for line in lines:
            if line.strip() and line.endswith(b"\n"):
                yield LogEvent.from_json(line)


def scan_jsonl(paths: list[Path], query: Query) -> list[LogEvent]:
    """Events of ``paths`` matching ``query``, oldest first (the newest ``query.limit``)."""
    found = [e for p in paths if p.exists() for e in read_jsonl(p) if query.matches(e)]
    found.sort(key=lambda e: e.time)
    return query.newest(found)


def query_files(
    *paths: str | os.PathLike[str],
    event_type: str | None = None,
    start_time: TimeLike = None,
    end_time: TimeLike = None,
    filters: dict[str, Any] | None = None,
    limit: int | None = None,
    level: str | int | None = None,
    logger: str | None = None,
) -> list[LogEvent]:
    """Query JSON-lines files (``.gz`` too) written by this package, with a scan.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
    >>> _ = path.write_text('{"time":"2026-01-05T00:00:00Z","level":"info","event":"x","n":1}\\n')
    >>> [e["n"] for e in query_files(path, event_type="x", start_time="2026-01-01")]
    [1]
    """
    terms = Query.build(event_type, start_time, end_time, filters, level, logger, limit)
    return scan_jsonl([Path(p) for p in paths], terms)

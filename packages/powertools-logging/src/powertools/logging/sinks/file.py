"""Rotating JSON-lines file sink: size and time rotation, retention, gzip, a durable mode.

In durable mode each event is written with one ``os.write`` before the logging call returns,
so an acknowledged event survives the process being killed; with ``fsync`` (the default) the
call also waits until the event is on disk, so it survives the machine losing power. The fsync
itself runs on the sink's syncer thread, and callers logging at the same time share one (a
group commit). Otherwise lines are buffered and written on ``flush()``, rotation, ``close()`` or
exit. Rotated files are compressed on the sink's own thread, never the caller's.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from powertools.logging._query import Query, TimeLike
from powertools.logging._record import LogEvent, LogRecord
from powertools.logging._worker import BatchWorker
from powertools.logging.errors import ConfigurationError, SinkError

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
        self._rotated = re.compile(
            re.escape(self.path.stem)
            + r"\.\d{8}T\d{6}-\d{4,}"
            + re.escape(self.path.suffix)
            + r"(?:\.gz)?"
        )
        self._gzip: BatchWorker[Path] | None = (
            BatchWorker(self._compress_all, name="file-gzip", label=f"the file sink at {path}")
            if compress
            else None
        )
        self._syncer = _Syncer(str(self.path)) if self._sync_each else None
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
            ticket = 0 if self._syncer is None else self._syncer.written(self._file.fileno())
        if ticket:
            assert self._syncer is not None
            self._syncer.wait(ticket)  # acknowledged once on disk; the fsync runs on its thread

    def _rotation_due(self, incoming: int) -> bool:
        if self._max_bytes is not None and self._size and self._size + incoming > self._max_bytes:
            return True
        return self._interval is not None and self._clock() - self._opened_at >= self._interval

    def _rotate(self) -> None:
        if self._syncer is not None:
            self._syncer.sync_now(self._file.fileno())  # every line of it on disk first
        self._file.close()
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(self._clock()))
        serial = 0
        while True:  # names sort oldest first, also within one second
            target = self.path.with_name(f"{self.path.stem}.{stamp}-{serial:04d}{self.path.suffix}")
            if not (target.exists() or target.with_name(target.name + ".gz").exists()):
                break
            serial += 1
        self.path.rename(target)
        self._open()
        if self._gzip is not None:
            self._gzip.put(target)  # compressed, then retention applied, on the sink's thread
        else:
            self._apply_retention()

    def _compress_all(self, targets: list[Path]) -> None:
        for target in targets:
            if not target.exists():
                continue  # already past retention: an earlier batch's retention removed it
            partial = target.with_name(target.name + ".gz.part")
            with open(target, "rb") as raw, gzip.open(partial, "wb") as packed:
                shutil.copyfileobj(raw, packed)
            partial.rename(target.with_name(target.name + ".gz"))
            target.unlink()
        self._apply_retention()

    def rotated_files(self) -> list[Path]:
        """Rotated files of this sink, oldest first (never a sibling's ``app.errors.jsonl``)."""
        pattern = f"{self.path.stem}.*{self.path.suffix}*"
        return sorted(p for p in self.path.parent.glob(pattern) if self._rotated.fullmatch(p.name))

    def _apply_retention(self) -> None:
        if self._retention is None:
            return
        rotated = self.rotated_files()
        for old in rotated[: max(0, len(rotated) - self._retention)]:
            old.unlink()

    def flush(self) -> None:
        """Write buffered lines to the file (on disk, in durable mode), and finish compressing
        rotated files."""
        with self._lock:
            self._file.flush()
            if self._syncer is not None and not self._file.closed:
                self._syncer.sync_now(self._file.fileno())
        if self._gzip is not None:
            self._gzip.flush(None)

    def close(self) -> None:
        """Flush and close the file; finish compressing rotated files."""
        with self._lock:
            if not self._file.closed:
                self._file.flush()
                if self._syncer is not None:
                    self._syncer.sync_now(self._file.fileno())
                self._file.close()
        if self._syncer is not None:
            self._syncer.stop()
        if self._gzip is not None:
            self._gzip.close(60.0)

    def query(self, query: Query) -> list[LogEvent]:
        """Scan the current and rotated files (gzip included) for matching events."""
        if not self._file.closed:
            self.flush()
        return scan_jsonl([*self.rotated_files(), self.path], query)

    def count(self, query: Query) -> int:
        """How many events of the current and rotated files match ``query``."""
        return len(self.query(query.unlimited()))


class _Syncer:
    """Runs the fsyncs of a durable file on its own thread; a logging call waits for the one
    that covers its line, so callers logging at the same time share one fsync."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._cond = threading.Condition()
        self._written = self._synced = 0
        self._tried = 0  # lines covered by the last fsync tried: a failed one waits for more
        self._fd = -1
        self._error: OSError | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="powertools-fsync", daemon=True)
        self._thread.start()

    def written(self, fd: int) -> int:
        """Note one more line written to ``fd``; return the ticket to wait for."""
        with self._cond:
            self._fd = fd
            self._written += 1
            self._cond.notify_all()
            return self._written

    def wait(self, ticket: int) -> None:
        """Return once the line of ``ticket`` is on disk."""
        with self._cond:
            while self._synced < ticket and self._error is None and not self._stopped:
                self._cond.wait()
            if self._error is not None:
                raise SinkError(
                    f"the durable file sink at {self._name} could not fsync: {self._error}; "
                    "the event may not be on disk: check the disk"
                )

    def sync_now(self, fd: int) -> None:
        """fsync ``fd`` on this thread (before a rotation closes it, or on flush)."""
        os.fsync(fd)
        with self._cond:
            self._synced = self._written
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while max(self._synced, self._tried) >= self._written and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                target, fd = self._written, self._fd
                self._tried = target
            try:
                os.fsync(fd)
            except OSError as exc:  # a closed fd was already synced by sync_now
                if self._synced < target:
                    with self._cond:
                        self._error = exc
                        self._cond.notify_all()
                continue
            with self._cond:
                self._synced = max(self._synced, target)
                self._cond.notify_all()


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

"""What users need in their own tests: an in-memory sink that keeps events as they are logged.

>>> from powertools.logging import StructuredLogger
>>> sink = MemorySink()
>>> StructuredLogger("t", sinks=[sink]).warning("disk_low", free_gb=3)
>>> [(e.event, e.level.name, e["free_gb"]) for e in sink.events]
[('disk_low', 'WARNING', 3)]
"""

from __future__ import annotations

import threading

from powertools.logging._query import Query
from powertools.logging._record import LogEvent, LogRecord

__all__ = ["MemorySink"]


class MemorySink:
    """Keeps every record in memory; queryable, so ``logger.query`` works against it."""

    name = "memory"

    def __init__(self, *, level: int = 0) -> None:
        self.level = level
        self.records: list[LogRecord] = []
        self._lock = threading.Lock()

    def emit(self, record: LogRecord) -> None:
        """Keep the record."""
        with self._lock:
            self.records.append(record)

    @property
    def lines(self) -> list[str]:
        """The JSON lines logged so far."""
        return [r.line for r in self.records]

    @property
    def events(self) -> list[LogEvent]:
        """The events logged so far, parsed."""
        return [LogEvent.from_json(r.line) for r in self.records]

    def query(self, query: Query) -> list[LogEvent]:
        """Matching events, oldest first (the newest ``query.limit``)."""
        return query.newest([e for e in self.events if query.matches(e)])

    def count(self, query: Query) -> int:
        """How many events match ``query``."""
        return sum(1 for e in self.events if query.matches(e))

    def flush(self) -> None:
        """Nothing to flush."""

    def close(self) -> None:
        """Nothing to close."""

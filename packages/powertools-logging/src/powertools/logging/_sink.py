"""What a sink is, and the base of sinks that deliver in batches from a background thread."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Coroutine
from typing import Any, Protocol, TypeVar, runtime_checkable

from powertools.logging._query import Query
from powertools.logging._record import LogEvent, LogRecord
from powertools.logging._worker import BatchWorker, FullPolicy, WorkerStats
from powertools.logging.errors import SinkError

__all__ = ["AsyncBatchSink", "BatchSink", "QueryableSink", "Sink"]

R = TypeVar("R")


@runtime_checkable
class Sink(Protocol):
    """Receives every record at or above its ``level``."""

    level: int

    def emit(self, record: LogRecord) -> None:
        """Take one record; must be quick (queue it if delivery is slow)."""

    def flush(self) -> None:
        """Deliver everything taken so far."""

    def close(self) -> None:
        """Flush, then release files and connections."""


@runtime_checkable
class QueryableSink(Sink, Protocol):
    """A sink whose stored events can be queried."""

    def query(self, query: Query) -> list[LogEvent]:
        """Events matching ``query``, oldest first: all of them, or the newest
        ``query.limit``. A queryable sink may also offer ``count(query) -> int``."""


class _FromThread(logging.Filter):
    """Drops the records logged from one thread (a sink's worker)."""

    def __init__(self, thread_name: str) -> None:
        super().__init__()
        self.thread_name = thread_name

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != self.thread_name


class BatchSink(ABC):
    """A sink that queues records and sends them in batches from its own thread.

    Subclasses implement :meth:`send_batch`; it runs on the worker thread only. ``start`` runs
    there before the first delivery (and again before the next if it failed). The full-queue
    policy is ``"drop"`` after ``block_timeout`` seconds (default 0: a logging call never waits);
    ``target`` (a URL without its password) names the destination in messages. See
    :mod:`powertools.logging._worker` for the bounds on logging, flushing and exit.
    """

    name = "batch"
    #: loggers of the client library that report each failed attempt; records they log from
    #: this sink's thread are dropped, since the worker reports an outage in one line
    quiet_loggers: tuple[str, ...] = ()

    def __init__(
        self,
        *,
        level: int = 0,
        max_queue: int = 10_000,
        max_batch: int = 500,
        policy: FullPolicy = "drop",
        block_timeout: float = 0.0,
        target: str | None = None,
    ) -> None:
        self.level = level
        self._worker: BatchWorker[LogRecord] = BatchWorker(
            self.send_batch,
            name=self.name,
            label=f"the {self.name} sink" + (f" at {target}" if target else ""),
            max_queue=max_queue,
            max_batch=max_batch,
            policy=policy,
            block_timeout=block_timeout,
            on_start=self.start,
            on_stop=self.stop,
        )
        self._quiet = _FromThread(self._worker.thread_name)
        for logger_name in self.quiet_loggers:
            logging.getLogger(logger_name).addFilter(self._quiet)

    @property
    def stats(self) -> WorkerStats:
        """Events sent, dropped because the queue was full, and failed."""
        return self._worker.stats

    def start(self) -> None:  # noqa: B027 -- an optional hook
        """Runs first on the worker thread."""

    def stop(self) -> None:  # noqa: B027 -- an optional hook
        """Runs last on the worker thread, after the final batch."""

    @abstractmethod
    def send_batch(self, batch: list[LogRecord]) -> None:
        """Deliver a batch; raise to count it as failed."""

    def emit(self, record: LogRecord) -> None:
        """Queue the record (see the worker's full-queue policy)."""
        self._worker.put(record)

    def flush(self, timeout: float | None = 10.0) -> None:
        """Block until everything queued so far is delivered; :class:`SinkError` naming this
        sink if that takes more than ``timeout`` seconds."""
        self._worker.flush(timeout)

    def close(self, timeout: float | None = None) -> None:
        """Deliver what is queued (within ``timeout`` seconds, default the exit timeout) and
        stop the thread; one line reports what could not be delivered."""
        self._worker.close(timeout)
        for logger_name in self.quiet_loggers:
            logging.getLogger(logger_name).removeFilter(self._quiet)


class AsyncBatchSink(BatchSink):
    """A batch sink whose client is asyncio-based: it runs its own event loop on its thread,
    so the application's loop is never blocked and sync callers need no loop at all."""

    _runner: asyncio.Runner | None = None

    def start(self) -> None:
        """Create this sink's event loop on the worker thread."""
        if self._runner is None:
            self._runner = asyncio.Runner()

    def stop(self) -> None:
        """Close the client, then the loop."""
        if self._runner is not None:
            self._runner.run(self.aclose_client())
            self._runner.close()

    def run(self, coro: Coroutine[Any, Any, R]) -> R:
        """Run a coroutine on this sink's loop (worker thread only)."""
        if self._runner is None:  # only if a subclass's start() did not call super().start()
            coro.close()
            raise SinkError(
                f"the {self.name} sink has no event loop: its start() must call super().start()"
            )
        return self._runner.run(coro)

    def send_batch(self, batch: list[LogRecord]) -> None:
        """Run :meth:`asend_batch` on this sink's loop."""
        self.run(self.asend_batch(batch))

    @abstractmethod
    async def asend_batch(self, batch: list[LogRecord]) -> None:
        """Deliver a batch on this sink's loop."""

    async def aclose_client(self) -> None:
        """Release the client's connections (default: nothing to release)."""

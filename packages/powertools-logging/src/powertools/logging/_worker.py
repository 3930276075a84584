"""A background thread that drains a bounded queue in batches, for sinks that do I/O.

Policy when the queue is full: ``"block"`` waits for room (local stores, nothing is dropped);
``"drop"`` waits at most ``block_timeout`` seconds, then drops the event and counts it in
``stats.dropped``. Work submitted with :meth:`BatchWorker.submit` (a query, a flush) runs on the
worker thread after every event queued before it, so it sees them all. At interpreter exit every
live worker drains its queue, so no event is lost on a normal shutdown. A failed batch is sent
again ``retries`` times, ``retry_delay`` seconds apart (doubling): delivery is at least once.
"""

from __future__ import annotations

import atexit
import queue
import sys
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from powertools.logging.errors import ConfigurationError, SinkError

__all__ = ["BatchWorker", "FullPolicy", "WorkerStats"]

T = TypeVar("T")
R = TypeVar("R")
FullPolicy = Literal["block", "drop"]
_LIVE: weakref.WeakSet[BatchWorker[Any]] = weakref.WeakSet()


@dataclass(slots=True)
class WorkerStats:
    """Counters of a worker: events delivered, dropped (queue full) and failed (sink error)."""

    sent: int = 0
    dropped: int = 0
    failed: int = 0
    last_error: str | None = None


class _Call:
    __slots__ = ("fn", "future")

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.future: Future[Any] = Future()


_STOP = object()


class BatchWorker(Generic[T]):
    """Run ``send(batch)`` on a thread for batches of at most ``max_batch`` queued items."""

    def __init__(
        self,
        send: Callable[[list[T]], None],
        *,
        name: str,
        max_queue: int = 10_000,
        max_batch: int = 500,
        policy: FullPolicy = "block",
        block_timeout: float = 0.1,
        on_start: Callable[[], None] | None = None,
        on_stop: Callable[[], None] | None = None,
        retries: int = 2,
        retry_delay: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if policy not in ("block", "drop"):
            raise ConfigurationError(f"queue policy {policy!r}: use 'block' or 'drop'")
        if max_queue < 1 or max_batch < 1:
            raise ConfigurationError("max_queue and max_batch must be at least 1")
        self._send = send
        self._queue: queue.Queue[Any] = queue.Queue(max_queue)
        self._max_batch = max_batch
        self._policy = policy
        self._block_timeout = block_timeout
        self._on_start = on_start
        self._on_stop = on_stop
        self._retries, self._retry_delay, self._sleep = retries, retry_delay, sleep
        self._closed = False
        self.stats = WorkerStats()
        self._thread = threading.Thread(target=self._run, name=f"powertools-{name}", daemon=True)
        self._thread.start()
        _LIVE.add(self)

    def put(self, item: T) -> None:
        """Queue one item, following the full-queue policy."""
        if self._closed:
            raise SinkError("this sink is closed: create a new one to log again")
        if self._policy == "block":
            self._queue.put(item)
            return
        try:
            self._queue.put(item, timeout=self._block_timeout)
        except queue.Full:
            self.stats.dropped += 1

    def submit(self, fn: Callable[[], R]) -> Future[R]:
        """Run ``fn`` on the worker thread after every item queued so far."""
        if self._closed:
            raise SinkError("this sink is closed: create a new one to query or flush it")
        call = _Call(fn)
        self._queue.put(call)
        return call.future

    def flush(self, timeout: float | None = 30.0) -> None:
        """Wait until every item queued so far has been sent (or has failed)."""
        if not self._closed:
            self.submit(lambda: None).result(timeout)

    def close(self, timeout: float | None = 30.0) -> None:
        """Send what is queued, run the stop hook and end the thread."""
        if self._closed:
            return
        self._closed = True
        self._queue.put(_STOP)
        self._thread.join(timeout)
        _LIVE.discard(self)

    def _send_with_retries(self, batch: list[T]) -> None:
        delay = self._retry_delay
        for _ in range(self._retries):
            try:
                self._send(batch)
            except Exception as exc:  # transient until the last attempt says otherwise
                if not getattr(exc, "retryable", True):
                    raise
                self._sleep(delay)
                delay *= 2
            else:
                return
        self._send(batch)

    def _deliver(self, batch: list[T]) -> None:
        if not batch:
            return
        try:
            self._send_with_retries(batch)
        except Exception as exc:  # a sink must never take the application down
            self.stats.failed += len(batch)
            self.stats.last_error = f"{type(exc).__name__}: {exc}"
            print(
                f"powertools.logging: {self._thread.name} lost {len(batch)} events: "
                f"{self.stats.last_error}",
                file=sys.stderr,
            )
        else:
            self.stats.sent += len(batch)

    def _take(self, first: Any) -> tuple[list[T], Any]:
        """Collect a batch starting with ``first``; return it and a control item, if met."""
        batch: list[T] = []
        item = first
        while True:
            if item is _STOP or isinstance(item, _Call):
                return batch, item
            batch.append(item)
            if len(batch) >= self._max_batch:
                return batch, None
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, None

    def _run(self) -> None:
        if self._on_start is not None:
            _run_call(_Call(self._on_start))
        while True:
            batch, control = self._take(self._queue.get())
            self._deliver(batch)
            if control is _STOP:
                break
            if isinstance(control, _Call):
                _run_call(control)
        if self._on_stop is not None:
            _run_call(_Call(self._on_stop))


def _run_call(call: _Call) -> None:
    try:
        call.future.set_result(call.fn())
    except BaseException as exc:  # handed to the caller through the future
        call.future.set_exception(exc)


@atexit.register
def _drain_all_at_exit() -> None:
    for worker in list(_LIVE):
        worker.close(timeout=10.0)

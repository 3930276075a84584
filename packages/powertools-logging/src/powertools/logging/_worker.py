"""A background thread that drains a bounded queue in batches, for sinks that do I/O.

The caller is never held hostage by a sink (decision 0505):

* **Logging calls have a stated bound.** Policy ``"drop"`` (every network sink's default) waits
  at most ``block_timeout`` seconds for room (default ``0``: never), then drops the event and
  counts it in ``stats.dropped``. Policy ``"block"`` waits for room as long as it takes: only
  local stores use it (the SQLite store), where the wait is a disk write.
* **Exit has a stated bound.** At interpreter exit every live worker is asked to stop at once and
  given, together, :data:`EXIT_TIMEOUT` seconds (``POWERTOOLS_LOGGING_EXIT_TIMEOUT``, default
  3) to deliver what is queued. What it could not deliver is counted and reported in one line.
* **An outage is one line, not a traceback per attempt.** A failed batch is sent again
  ``retries`` times; the delay doubles from ``retry_delay`` up to ``max_retry_delay`` and stays
  long while the sink keeps failing. The first failure prints one line; the recovery prints
  another with how many events were lost meanwhile.
* **Flush has a bound too**: :meth:`BatchWorker.flush` raises :class:`SinkError` naming the sink
  when it cannot deliver within its timeout.

Work submitted with :meth:`BatchWorker.submit` runs on the worker thread after every event
queued before it. A sink's ``start`` hook runs on the worker thread before the first delivery,
and again before the next one if it failed (its failure counts as a failed delivery).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import queue
import sys
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from powertools.logging.errors import ConfigurationError, SinkError

__all__ = ["EXIT_TIMEOUT", "BatchWorker", "FullPolicy", "WorkerStats", "close_all"]

T = TypeVar("T")
R = TypeVar("R")
FullPolicy = Literal["block", "drop"]
_LIVE: weakref.WeakSet[BatchWorker[Any]] = weakref.WeakSet()


def _exit_timeout() -> float:
    raw = os.environ.get("POWERTOOLS_LOGGING_EXIT_TIMEOUT", "3")
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise ConfigurationError(
            f"POWERTOOLS_LOGGING_EXIT_TIMEOUT={raw!r} is not a number of seconds: set it to "
            "e.g. 3, or unset it"
        ) from None


EXIT_TIMEOUT = _exit_timeout()  # seconds every sink shares to deliver its queue at exit


@dataclass(slots=True)
class WorkerStats:
    """Counters of a worker.

    ``sent``: delivered. ``dropped``: refused because the queue was full. ``failed``: their
    delivery failed after every retry. ``undelivered``: still queued when the sink was closed
    and its time ran out.
    """

    sent: int = 0
    dropped: int = 0
    failed: int = 0
    undelivered: int = 0
    last_error: str | None = None

    @property
    def lost(self) -> int:
        """Every event that did not reach the sink's destination."""
        return self.dropped + self.failed + self.undelivered


class _Call:
    __slots__ = ("fn", "future")

    def __init__(self, fn: Callable[[], Any]) -> None:
        self.fn = fn
        self.future: Future[Any] = Future()


_STOP = object()


def _say(message: str) -> None:
    print(f"powertools.logging: {message}", file=sys.stderr)


class BatchWorker(Generic[T]):
    """Run ``send(batch)`` on a thread for batches of at most ``max_batch`` queued items.

    ``label`` names the sink in every message (``"the nats sink at nats://..."``).

    >>> got = []
    >>> worker = BatchWorker(got.extend, name="demo", policy="drop")
    >>> worker.put(1); worker.put(2); worker.flush(); got
    [1, 2]
    >>> worker.close(); worker.stats.sent
    2
    """

    def __init__(
        self,
        send: Callable[[list[T]], None],
        *,
        name: str,
        label: str | None = None,
        max_queue: int = 10_000,
        max_batch: int = 500,
        policy: FullPolicy = "block",
        block_timeout: float = 0.0,
        on_start: Callable[[], None] | None = None,
        on_stop: Callable[[], None] | None = None,
        retries: int = 2,
        retry_delay: float = 0.5,
        max_retry_delay: float = 30.0,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        _check(policy, max_queue, max_batch, block_timeout)
        self._send = send
        self.label = label or f"the {name} sink"
        self._queue: queue.Queue[Any] = queue.Queue(max_queue)
        self._max_queue, self._max_batch = max_queue, max_batch
        self._block = policy == "block"
        self._block_timeout = block_timeout
        self._on_start, self._on_stop = on_start, on_stop
        self._started = on_start is None
        self._retries, self._retry_delay, self._max_delay = retries, retry_delay, max_retry_delay
        self._closing = threading.Event()
        self._sleep = sleep or self._closing.wait  # a backoff ends early when the sink closes
        self._delay = retry_delay
        self._down = False
        self._lost_while_down = 0
        self._warned_full = False
        self._inflight = 0
        self._counting = threading.Lock()  # the in-flight batch moves to a counter atomically
        self._abandoned = False
        self._closed = False
        self.stats = WorkerStats()
        self.thread_name = f"powertools-{name}"
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        _LIVE.add(self)

    # -- the caller's side -------------------------------------------------------------------
    def put(self, item: T) -> None:
        """Queue one item, following the full-queue policy."""
        if self._closed:
            raise SinkError(f"{self.label} is closed: create a new one to log again")
        if self._block:
            self._queue.put(item)
            return
        try:
            if self._block_timeout:
                self._queue.put(item, timeout=self._block_timeout)
            else:
                self._queue.put_nowait(item)
        except queue.Full:
            self._count_drop()

    def _count_drop(self) -> None:
        self.stats.dropped += 1
        if not self._warned_full:
            self._warned_full = True
            _say(
                f"{self.label} has {self._max_queue:,} events queued and is not keeping up "
                f"(last error: {self.stats.last_error or 'none'}); further events are dropped "
                "and counted in stats.dropped until it catches up"
            )

    def submit(self, fn: Callable[[], R], timeout: float | None = None) -> Future[R]:
        """Run ``fn`` on the worker thread after every item queued so far.

        Waits at most ``timeout`` seconds (``None``: as long as it takes) for room in the queue.
        """
        if self._closed:
            raise SinkError(f"{self.label} is closed: create a new one to query or flush it")
        call = _Call(fn)
        try:
            self._queue.put(call, timeout=timeout)
        except queue.Full:
            raise self._timed_out("queue work", timeout) from None
        return call.future

    def call(self, fn: Callable[[], R], timeout: float | None = 60.0) -> R:
        """Run ``fn`` on the worker thread after every item queued so far and return its
        result; :class:`SinkError` naming the sink if that takes more than ``timeout``."""
        return self._result(fn, timeout, "answer")

    def _result(self, fn: Callable[[], R], timeout: float | None, what: str) -> R:
        started = time.monotonic()
        future = self.submit(fn, timeout)
        left = None if timeout is None else max(0.0, timeout - (time.monotonic() - started))
        try:
            return future.result(left)
        except FutureTimeout:
            raise self._timed_out(what, timeout) from None

    def flush(self, timeout: float | None = 10.0) -> None:
        """Wait until every item queued so far has been sent (or has failed).

        Raises :class:`SinkError` naming the sink when that takes longer than ``timeout``.
        """
        if not self._closed:
            self._result(lambda: None, timeout, "deliver its queue")

    def _timed_out(self, what: str, timeout: float | None) -> SinkError:
        return SinkError(
            f"{self.label} could not {what} within {timeout} s "
            f"({self._queued_events():,} events queued; last error: "
            f"{self.stats.last_error or 'none'}): check that its server is reachable, or pass "
            "a longer timeout"
        )

    def close(self, timeout: float | None = None) -> None:
        """Deliver what is queued within ``timeout`` seconds (default :data:`EXIT_TIMEOUT`),
        run the stop hook and end the thread; report once what could not be delivered."""
        self.begin_close()
        self.finish_close(time.monotonic() + (EXIT_TIMEOUT if timeout is None else timeout))

    def begin_close(self) -> None:
        """Refuse new items and ask the thread to deliver what is queued, then stop."""
        if self._closed:
            return
        self._closed = True
        self._closing.set()
        with contextlib.suppress(queue.Full):  # if full, the thread stops once it has emptied it
            self._queue.put_nowait(_STOP)

    def finish_close(self, deadline: float) -> None:
        """Wait for the thread until ``deadline`` (``time.monotonic()``), then report."""
        if not self._thread.is_alive() and self not in _LIVE:
            return
        self._thread.join(max(0.0, deadline - time.monotonic()))
        _LIVE.discard(self)
        if self._thread.is_alive():
            with self._counting:
                self._abandoned = True
                self.stats.undelivered += self._queued_events() + self._inflight
        if self.stats.lost:
            _say(f"{self.label} could not deliver {self._lost_summary()}")

    def _queued_events(self) -> int:
        """Events in the queue (not the stop marker or queued work)."""
        with self._queue.mutex:
            items = list(self._queue.queue)
        return sum(1 for item in items if item is not _STOP and not isinstance(item, _Call))

    def _lost_summary(self) -> str:
        s = self.stats
        parts = [
            f"{n:,} {what}"
            for n, what in (
                (s.dropped, "dropped because its queue was full"),
                (s.failed, "failed"),
                (s.undelivered, "still queued when its time to close ran out"),
            )
            if n
        ]
        return f"{s.lost:,} events ({', '.join(parts)}); last error: {s.last_error or 'none'}"

    # -- the worker thread ---------------------------------------------------------------------
    def _attempt(self, batch: list[T]) -> None:
        if not self._started:
            assert self._on_start is not None
            self._on_start()
            self._started = True
        self._send(batch)

    def _send_with_retries(self, batch: list[T]) -> None:
        attempts_left = 1 if self._closing.is_set() else self._retries + 1
        while True:  # each pass returns, raises, or backs off and tries again
            attempts_left -= 1
            try:
                self._attempt(batch)
            except Exception as exc:  # transient until the last attempt says otherwise
                self._note_failure(exc)
                if not attempts_left or not getattr(exc, "retryable", True):
                    raise
                self._backoff()
            else:
                return

    def _backoff(self) -> None:
        if not self._closing.is_set():
            self._sleep(self._delay)
        self._delay = min(self._delay * 2, self._max_delay)

    def _note_failure(self, exc: Exception) -> None:
        self.stats.last_error = f"{type(exc).__name__}: {exc}"
        if not self._down and not self._abandoned:
            then = (
                f"retrying with backoff up to {self._max_delay:g} s; events queue up to "
                f"{self._max_queue:,}"
                if getattr(exc, "retryable", True)
                else "the batch is not retried"
            )
            _say(
                f"{self.label} cannot deliver ({self.stats.last_error}): {then}. "
                "One line will say when it delivers again"
            )
        self._down = True

    def _note_success(self, sent: int) -> None:
        if self._down:
            self._down = False
            if not self._abandoned:
                lost, self._lost_while_down = self._lost_while_down, 0
                _say(f"{self.label} delivers again ({lost:,} events failed meanwhile)")
        self._delay = self._retry_delay
        self._warned_full = False

    def _deliver(self, batch: list[T]) -> None:
        if not batch:  # nothing to send: a sink that never had an event never connects
            return
        try:
            self._send_with_retries(batch)
        except Exception:  # a sink must never take the application down; counted, said once
            with self._counting:
                self._inflight = 0
                if not self._abandoned:  # else close counted it as undelivered
                    self.stats.failed += len(batch)
            self._lost_while_down += len(batch)
        else:
            with self._counting:
                self._inflight = 0
                if not self._abandoned:
                    self.stats.sent += len(batch)
            self._note_success(len(batch))

    def _take(self, first: Any) -> tuple[list[T], Any]:
        """Collect a batch starting with ``first``; return it and a control item, if met."""
        batch: list[T] = []
        item = first
        while True:
            if item is _STOP or isinstance(item, _Call):
                return batch, item
            batch.append(item)
            self._inflight = len(batch)
            if len(batch) >= self._max_batch:
                return batch, None
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batch, None

    def _next(self) -> Any:
        if self._closing.is_set():
            try:
                return self._queue.get_nowait()
            except queue.Empty:
                return _STOP
        return self._queue.get()

    def _run(self) -> None:
        while True:
            batch, control = self._take(self._next())
            self._deliver(batch)
            if control is _STOP:
                break
            if isinstance(control, _Call):
                _run_call(control)
        if self._on_stop is not None and self._started and not self._abandoned:
            _run_call(_Call(self._on_stop))


def _check(policy: str, max_queue: int, max_batch: int, block_timeout: float) -> None:
    if policy not in ("block", "drop"):
        raise ConfigurationError(f"queue policy {policy!r}: use 'block' or 'drop'")
    if max_queue < 1 or max_batch < 1:
        raise ConfigurationError(
            f"max_queue={max_queue} and max_batch={max_batch}: both must be at least 1"
        )
    if block_timeout < 0:
        raise ConfigurationError(f"block_timeout={block_timeout}: use 0 (never wait) or more")


def _run_call(call: _Call) -> None:
    try:
        call.future.set_result(call.fn())
    except BaseException as exc:  # handed to the caller through the future
        call.future.set_exception(exc)


def close_all(timeout: float | None = None) -> None:
    """Close every live worker at once, all within ``timeout`` seconds together (default
    :data:`EXIT_TIMEOUT`); runs at interpreter exit."""
    deadline = time.monotonic() + (EXIT_TIMEOUT if timeout is None else timeout)
    workers = list(_LIVE)
    for worker in workers:
        worker.begin_close()
    for worker in workers:
        worker.finish_close(deadline)


atexit.register(close_all)

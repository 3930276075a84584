"""The async batch sink base: its own event loop on the worker thread, started and stopped
by the worker."""

from __future__ import annotations

import asyncio
import threading

from powertools.logging import AsyncBatchSink, StructuredLogger
from powertools.logging._record import LogRecord


class _Collecting(AsyncBatchSink):
    """Keeps what it is sent, on its own loop; ``start`` refuses ``refusals`` times first."""

    name = "collecting"

    def __init__(self, refusals: int = 0) -> None:
        self.refusals = refusals
        self.loops: list[asyncio.AbstractEventLoop] = []
        self.sent: list[str] = []
        self.closed_client = threading.Event()
        super().__init__()
        self._worker._sleep = lambda seconds: None  # no backoff waits in these tests

    def start(self) -> None:
        super().start()
        if self.refusals:
            self.refusals -= 1
            raise ConnectionRefusedError("not yet")

    async def asend_batch(self, batch: list[LogRecord]) -> None:
        self.loops.append(asyncio.get_running_loop())
        self.sent += [r.event for r in batch]

    async def aclose_client(self) -> None:
        self.closed_client.set()


def test_a_start_that_failed_is_run_again_on_the_same_loop() -> None:
    sink = _Collecting(refusals=1)
    log = StructuredLogger("a", sinks=[sink])
    log.info("first")
    log.info("second")
    sink.flush()
    log.info("third")
    sink.close()
    assert sink.sent == ["first", "second", "third"]
    assert len(set(map(id, sink.loops))) == 1  # one loop for the sink's whole life
    assert sink.closed_client.is_set()
    assert (sink.stats.sent, sink.stats.failed) == (3, 0)
    assert sink.loops[0].is_closed()  # closed with the sink


class _Forgetful(AsyncBatchSink):
    """A subclass whose start() does not call super().start()."""

    name = "forgetful"

    def __init__(self) -> None:
        super().__init__()
        self._worker._sleep = lambda seconds: None

    def start(self) -> None:
        pass

    async def asend_batch(self, batch: list[LogRecord]) -> None:
        raise AssertionError("never reached without a loop")


def test_a_start_that_forgets_super_start_fails_each_delivery_saying_so() -> None:
    sink = _Forgetful()
    StructuredLogger("f", sinks=[sink]).info("lost")
    sink.flush()
    assert sink.stats.failed == 1
    assert sink.stats.last_error == (
        "SinkError: the forgetful sink has no event loop: its start() must call super().start()"
    )
    sink.close()  # and closing it, with no loop to close, is quiet
    assert sink._runner is None

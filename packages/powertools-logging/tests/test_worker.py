from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from powertools.logging import ConfigurationError, SinkError
from powertools.logging._worker import BatchWorker


def test_drop_policy_counts_what_it_drops() -> None:
    gate = threading.Event()
    sent: list[list[int]] = []

    def send(batch: list[int]) -> None:
        gate.wait()
        sent.append(batch)

    worker: BatchWorker[int] = BatchWorker(
        send, name="t", max_queue=3, max_batch=1, policy="drop", block_timeout=0.0
    )
    worker.put(0)  # taken by the thread, blocked in send
    while worker._queue.qsize():  # wait until the thread holds it
        threading.Event().wait(0.001)
    for n in range(1, 8):
        worker.put(n)
    gate.set()
    worker.flush()
    assert worker.stats.dropped == 4
    assert [n for batch in sent for n in batch] == [0, 1, 2, 3]
    assert all(len(b) == 1 for b in sent)
    worker.close()


def test_block_policy_delivers_everything_in_batches() -> None:
    sent: list[int] = []
    sizes: list[int] = []

    def send(batch: list[int]) -> None:
        sizes.append(len(batch))
        sent.extend(batch)

    worker: BatchWorker[int] = BatchWorker(send, name="t", max_queue=5, max_batch=3)
    for n in range(100):
        worker.put(n)
    worker.close()
    assert sent == list(range(100))
    assert max(sizes) <= 3
    assert worker.stats.sent == 100
    with pytest.raises(SinkError, match="closed"):
        worker.put(1)
    with pytest.raises(SinkError, match="closed"):
        worker.submit(lambda: 1)
    worker.flush()  # a no-op once closed
    worker.close()


def test_failures_are_counted_and_reported(capsys: pytest.CaptureFixture[str]) -> None:
    def send(batch: list[int]) -> None:
        raise OSError("disk full")

    worker: BatchWorker[int] = BatchWorker(
        send, name="failing", max_batch=10, retries=1, sleep=lambda s: None
    )
    worker.put(1)
    worker.put(2)
    worker.flush()
    assert worker.stats.failed == 2
    assert worker.stats.last_error == "OSError: disk full"
    assert "lost" in capsys.readouterr().err
    with pytest.raises(ZeroDivisionError):
        worker.submit(lambda: 1 / 0).result()
    worker.close()


def test_bad_configuration() -> None:
    with pytest.raises(ConfigurationError, match="'block' or 'drop'"):
        BatchWorker(lambda b: None, name="x", policy="maybe")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="at least 1"):
        BatchWorker(lambda b: None, name="x", max_queue=0)


EXIT_CHILD = textwrap.dedent(
    """
    import sys
    from powertools.logging import StructuredLogger
    from powertools.logging.sinks.sqlite import SqliteSink

    log = StructuredLogger("exit", sinks=[SqliteSink(sys.argv[1])])
    for n in range(5000):
        log.info("queued", n=n)
    # no flush, no close: the interpreter's normal shutdown must deliver everything
    """
)


def test_no_event_is_lost_on_normal_shutdown(tmp_path: Path) -> None:
    db = tmp_path / "exit.db"
    subprocess.run([sys.executable, "-c", EXIT_CHILD, str(db)], check=True)
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 5000


def test_failed_batches_are_retried_with_doubling_delays() -> None:
    attempts: list[list[int]] = []
    slept: list[float] = []

    def flaky(batch: list[int]) -> None:
        attempts.append(batch)
        if len(attempts) < 3:
            raise ConnectionError("try again")

    worker: BatchWorker[int] = BatchWorker(
        flaky, name="flaky", retries=2, retry_delay=0.5, sleep=slept.append
    )
    worker.put(1)
    worker.flush()
    assert attempts == [[1], [1], [1]]
    assert slept == [0.5, 1.0]
    assert worker.stats.sent == 1
    assert worker.stats.failed == 0
    worker.close()

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
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
    assert "the failing sink cannot deliver (OSError: disk full)" in capsys.readouterr().err
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


def _stuck_worker(
    max_queue: int, block_timeout: float = 0.0
) -> tuple[BatchWorker[int], threading.Event]:
    """A worker whose sink hangs in its first send until the returned event is set."""
    gate = threading.Event()
    worker: BatchWorker[int] = BatchWorker(
        lambda batch: gate.wait() and None,
        name="stuck",
        label="the stuck sink at nowhere:1",
        max_queue=max_queue,
        max_batch=10,
        policy="drop",
        block_timeout=block_timeout,
    )
    worker.put(0)
    while worker._queue.qsize():  # the thread holds event 0, stuck in send
        threading.Event().wait(0.001)
    return worker, gate


def test_close_of_a_hung_sink_ends_and_reports_once_what_it_could_not_deliver(
    capsys: pytest.CaptureFixture[str],
) -> None:
    worker, gate = _stuck_worker(max_queue=50)
    for n in range(1, 81):  # 50 queued, 30 dropped, 1 held by the stuck send
        worker.put(n)
    closer = threading.Thread(target=worker.close, kwargs={"timeout": 0.1})
    closer.start()
    closer.join(30)  # before the fix: close() waited forever to queue its stop marker
    assert not closer.is_alive()
    assert (worker.stats.dropped, worker.stats.undelivered, worker.stats.sent) == (30, 51, 0)
    lines = capsys.readouterr().err.splitlines()
    assert sum("could not deliver 81 events" in line for line in lines) == 1
    assert "30 dropped because its queue was full" in lines[-1]
    assert "51 still queued" in lines[-1]
    gate.set()


def test_flush_of_a_hung_sink_raises_the_package_error_naming_the_sink() -> None:
    worker, gate = _stuck_worker(max_queue=5)
    with pytest.raises(SinkError, match=r"the stuck sink at nowhere:1 could not deliver its queue"):
        worker.flush(timeout=0.01)
    for n in range(10):
        worker.put(n)  # full now: flush cannot even queue its marker, and says so
    with pytest.raises(SinkError, match=r"the stuck sink at nowhere:1 could not queue work"):
        worker.flush(timeout=0.01)
    gate.set()
    worker.close()


def test_an_outage_is_one_line_then_one_line_when_it_delivers_again(
    capsys: pytest.CaptureFixture[str],
) -> None:
    down = threading.Event()
    down.set()
    slept: list[float] = []

    def send(batch: list[int]) -> None:
        if down.is_set():
            raise ConnectionRefusedError(111, "Connection refused")

    worker: BatchWorker[int] = BatchWorker(
        send,
        name="net",
        max_batch=1,
        retries=2,
        retry_delay=1.0,
        max_retry_delay=4.0,
        sleep=slept.append,
    )
    for n in range(5):
        worker.put(n)
        worker.flush()
    assert worker.stats.failed == 5
    assert slept == [1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0]  # doubled, then capped
    down.clear()
    worker.put(5)
    worker.flush()
    assert worker.stats.sent == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2, lines
    assert "the net sink cannot deliver (ConnectionRefusedError" in lines[0]
    assert "the net sink delivers again (5 events failed meanwhile)" in lines[1]
    assert "Traceback" not in "\n".join(lines)
    worker.close()


def test_a_failing_start_is_a_failed_delivery_retried_before_the_next() -> None:
    starts: list[int] = []
    sent: list[int] = []

    def start() -> None:
        starts.append(1)
        if len(starts) < 4:
            raise ConnectionRefusedError("no server yet")

    worker: BatchWorker[int] = BatchWorker(
        sent.extend, name="late", on_start=start, retries=2, sleep=lambda s: None
    )
    worker.put(1)
    worker.flush()  # three attempts at start, all refused: the batch fails, counted
    worker.put(2)
    worker.flush()  # the fourth start succeeds
    assert (worker.stats.failed, worker.stats.sent, sent) == (1, 1, [2])
    assert worker.stats.last_error == "ConnectionRefusedError: no server yet"
    worker.close()


HUNG_CHILD = textwrap.dedent(
    """
    import threading
    from powertools.logging._worker import BatchWorker

    never = threading.Event()
    worker = BatchWorker(lambda batch: never.wait(), name="hung", policy="drop", max_queue=100)
    for n in range(250):
        worker.put(n)
    # no close: the interpreter's exit must end within POWERTOOLS_LOGGING_EXIT_TIMEOUT
    """
)


def test_exit_ends_within_its_timeout_and_reports_the_loss_once(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "POWERTOOLS_LOGGING_EXIT_TIMEOUT": "0.2"}
    done = subprocess.run(
        [sys.executable, "-c", HUNG_CHILD],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len([line for line in lines if "could not deliver" in line]) == 1, lines
    assert "could not deliver 250 events" in done.stderr
    assert "Traceback" not in done.stderr


def test_exit_timeout_must_be_a_number(tmp_path: Path) -> None:
    import os

    env = {**os.environ, "POWERTOOLS_LOGGING_EXIT_TIMEOUT": "soon"}
    done = subprocess.run(
        [sys.executable, "-c", "import powertools.logging"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
    )
    assert "POWERTOOLS_LOGGING_EXIT_TIMEOUT='soon' is not a number of seconds" in done.stderr


def test_a_block_timeout_waits_that_long_for_room_then_drops() -> None:
    worker, gate = _stuck_worker(max_queue=1, block_timeout=0.01)
    worker.put(1)  # fills the queue
    worker.put(2)  # no room appears within the timeout: dropped
    assert (worker.stats.dropped, worker._queue.qsize()) == (1, 1)
    gate.set()
    worker.close()
    assert (worker.stats.sent, worker.stats.dropped) == (2, 1)


def test_a_negative_block_timeout_is_refused() -> None:
    with pytest.raises(ConfigurationError, match=r"block_timeout=-1: use 0 \(never wait\) or more"):
        BatchWorker(lambda b: None, name="x", policy="drop", block_timeout=-1)


def test_closing_during_the_retries_ends_the_backoff() -> None:
    slept: list[float] = []
    attempts: list[int] = []

    def send(batch: list[int]) -> None:
        attempts.append(len(batch))
        raise ConnectionRefusedError("down")

    def sleep(seconds: float) -> None:  # the sink is closed during the first backoff
        slept.append(seconds)
        worker.begin_close()

    worker: BatchWorker[int] = BatchWorker(
        send, name="closing", retries=3, retry_delay=1.0, sleep=sleep
    )
    worker.put(1)
    worker.finish_close(time.monotonic() + 30)
    assert attempts == [1, 1, 1, 1]  # every attempt still made, but no more waits after close
    assert slept == [1.0]
    assert (worker.stats.failed, worker.stats.sent) == (1, 0)


def _abandoned(send_result: str, capsys: pytest.CaptureFixture[str]) -> BatchWorker[int]:
    """A worker whose first attempt fails, whose retry hangs until it is abandoned by close,
    then ends as ``send_result`` says ("succeeds" or "fails")."""
    holding, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def send(batch: list[int]) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionResetError("reset")
        holding.set()
        release.wait(30)
        if send_result == "fails":
            raise ConnectionResetError("reset again")

    worker: BatchWorker[int] = BatchWorker(
        send, name="late", retries=1, sleep=lambda s: None, policy="drop"
    )
    worker.put(1)
    assert holding.wait(30)
    worker.close(timeout=0.0)  # gives up on the batch held by the retry
    release.set()
    worker._thread.join(30)
    assert not worker._thread.is_alive()
    return worker


def test_a_batch_abandoned_by_close_is_counted_once_as_undelivered_when_it_later_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    worker = _abandoned("fails", capsys)
    assert (worker.stats.undelivered, worker.stats.failed, worker.stats.sent) == (1, 0, 0)
    err = capsys.readouterr().err
    assert err.count("the late sink cannot deliver") == 1
    assert "could not deliver 1 events (1 still queued when its time to close ran out)" in err


def test_a_batch_abandoned_by_close_that_then_goes_through_is_not_announced(
    capsys: pytest.CaptureFixture[str],
) -> None:
    worker = _abandoned("succeeds", capsys)
    assert (worker.stats.undelivered, worker.stats.sent) == (1, 0)
    err = capsys.readouterr().err
    assert "the late sink delivers again" not in err  # close already reported it as lost
    assert err.count("could not deliver 1 events") == 1


def test_close_all_closes_every_live_worker_within_one_deadline(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import weakref

    from powertools.logging import _worker

    monkeypatch.setattr(_worker, "_LIVE", weakref.WeakSet())
    got: list[int] = []
    healthy: BatchWorker[int] = BatchWorker(got.extend, name="healthy")
    stuck, gate = _stuck_worker(max_queue=10)
    healthy.put(1)
    stuck.put(1)
    _worker.close_all(timeout=0.05)
    assert got == [1]
    assert (stuck.stats.undelivered, len(_worker._LIVE)) == (2, 0)
    for worker in (healthy, stuck):
        with pytest.raises(SinkError, match="is closed: create a new one to log again"):
            worker.put(2)
    assert "the stuck sink at nowhere:1 could not deliver 2 events" in capsys.readouterr().err
    gate.set()


def test_the_exit_timeout_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from powertools.logging._worker import _exit_timeout

    monkeypatch.setenv("POWERTOOLS_LOGGING_EXIT_TIMEOUT", "0.5")
    assert _exit_timeout() == 0.5
    monkeypatch.setenv("POWERTOOLS_LOGGING_EXIT_TIMEOUT", "-2")
    assert _exit_timeout() == 0.0
    monkeypatch.setenv("POWERTOOLS_LOGGING_EXIT_TIMEOUT", "later")
    with pytest.raises(ConfigurationError, match="'later' is not a number of seconds"):
        _exit_timeout()

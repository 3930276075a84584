from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from powertools.logging import ConfigurationError, Query, StructuredLogger
from powertools.logging.sinks.file import FileSink, read_jsonl


class FakeClock:
    def __init__(self, now: float = 1_767_225_600.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_size_rotation_retention_and_compression(tmp_path: Path) -> None:
    clock = FakeClock()
    sink = FileSink(tmp_path / "app.jsonl", max_bytes=400, retention=2, compress=True, clock=clock)
    log = StructuredLogger("f", sinks=[sink], clock=clock)
    for n in range(20):
        clock.now += 1
        log.info("tick", n=n, padding="x" * 40)
    log.flush()
    rotated = sink.rotated_files()
    assert len(rotated) == 2
    assert all(p.suffix == ".gz" for p in rotated)
    assert all(p.stat().st_size for p in rotated)
    with gzip.open(rotated[-1], "rt") as packed:
        assert json.loads(packed.readline())["event"] == "tick"
    assert (tmp_path / "app.jsonl").stat().st_size <= 400
    found = sink.query(Query.build("tick", limit=1000))
    numbers = [e["n"] for e in found]
    assert numbers == sorted(numbers)
    assert numbers[-1] == 19
    sink.close()


def test_time_rotation_with_a_fake_clock(tmp_path: Path) -> None:
    clock = FakeClock()
    sink = FileSink(tmp_path / "t.jsonl", interval=60, clock=clock)
    log = StructuredLogger("f", sinks=[sink], clock=clock)
    log.info("first")
    clock.now += 30
    log.info("second")
    clock.now += 31
    log.info("third")
    sink.close()
    (old,) = sink.rotated_files()
    assert [e.event for e in read_jsonl(old)] == ["first", "second"]
    assert [e.event for e in read_jsonl(tmp_path / "t.jsonl")] == ["third"]
    assert sink.query(Query.build(start_time=clock.now - 1))[0].event == "third"


def test_rotation_names_never_collide(tmp_path: Path) -> None:
    clock = FakeClock()
    sink = FileSink(tmp_path / "c.jsonl", max_bytes=10, clock=clock)
    log = StructuredLogger("f", sinks=[sink], clock=clock)
    for _ in range(4):
        log.info("same-second")
    sink.close()
    assert len(sink.rotated_files()) == 3


def test_bad_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="max_bytes"):
        FileSink(tmp_path / "x", max_bytes=0)
    with pytest.raises(ConfigurationError, match="interval"):
        FileSink(tmp_path / "x", interval=0)
    with pytest.raises(ConfigurationError, match="retention"):
        FileSink(tmp_path / "x", retention=-1)


def test_torn_last_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "torn.jsonl"
    sink = FileSink(path, durable=True, fsync=False)
    StructuredLogger("f", sinks=[sink]).info("whole")
    sink.close()
    with open(path, "ab") as f:
        f.write(b'{"time":"2026-01-01T00:00:00.0Z","lev')
    assert [e.event for e in read_jsonl(path)] == ["whole"]


CHILD = textwrap.dedent(
    """
    import sys
    from powertools.logging import StructuredLogger
    from powertools.logging.sinks.file import FileSink

    log = StructuredLogger("child", sinks=[FileSink(sys.argv[1], durable=True)])
    n = 0
    while True:
        log.info("acked", n=n)
        sys.stdout.write(f"{n}\\n")
        sys.stdout.flush()
        n += 1
    """
)


@pytest.mark.slow
def test_durable_sink_loses_no_acknowledged_event_on_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "durable.jsonl"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    acknowledged = -1
    for line in child.stdout:
        acknowledged = int(line)
        if acknowledged >= 300:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    stored = [e["n"] for e in read_jsonl(path)]
    assert stored[: acknowledged + 1] == list(range(acknowledged + 1))


def test_rotated_files_are_compressed_off_the_callers_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from powertools.logging.sinks import file as file_module

    threads: list[str] = []
    copy = file_module.shutil.copyfileobj

    def recording_copy(src: Any, dst: Any) -> None:
        threads.append(threading.current_thread().name)
        copy(src, dst)

    monkeypatch.setattr(file_module.shutil, "copyfileobj", recording_copy)
    clock = FakeClock()
    sink = FileSink(tmp_path / "app.jsonl", max_bytes=300, compress=True, clock=clock)
    log = StructuredLogger("f", sinks=[sink], clock=clock)
    for n in range(30):
        clock.now += 1
        log.info("tick", n=n, padding="x" * 40)
    sink.flush()
    assert threads
    assert set(threads) == {"powertools-file-gzip"}  # before: the caller's thread
    assert [e["n"] for e in sink.query(Query.build("tick"))] == list(range(30))
    sink.close()


def test_durable_fsync_runs_on_the_sinks_thread_and_the_call_waits_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from powertools.logging.sinks import file as file_module

    entered, gate, returned = threading.Event(), threading.Event(), threading.Event()
    threads: list[str] = []
    real_fsync = os.fsync

    def gated_fsync(fd: int) -> None:
        threads.append(threading.current_thread().name)
        entered.set()
        gate.wait(30)
        real_fsync(fd)

    monkeypatch.setattr(file_module.os, "fsync", gated_fsync)
    sink = FileSink(tmp_path / "d.jsonl", durable=True)
    log = StructuredLogger("d", sinks=[sink])

    def call() -> None:
        log.info("acked")
        returned.set()

    caller = threading.Thread(target=call, name="caller")
    caller.start()
    assert entered.wait(30)
    assert not returned.is_set()  # not acknowledged while its fsync has not finished
    gate.set()
    caller.join(30)
    assert returned.is_set()
    assert threads == ["powertools-fsync"]  # before: the caller's own thread
    sink.close()


def test_retention_never_deletes_a_siblings_live_file(tmp_path: Path) -> None:
    sibling = tmp_path / "app.errors.jsonl"
    sibling.write_text('{"time":"2026-01-01T00:00:00Z","level":"error","event":"kept"}\n')
    clock = FakeClock()
    sink = FileSink(tmp_path / "app.jsonl", max_bytes=200, retention=0, clock=clock)
    log = StructuredLogger("f", sinks=[sink], clock=clock)
    for n in range(10):
        clock.now += 1
        log.info("tick", n=n, padding="x" * 60)
    sink.close()
    assert sibling.exists()  # before: matched app.*.jsonl* and was deleted
    assert sink.rotated_files() == []


def test_retention_and_compression_together_lose_no_queued_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several rotations queue up behind a slow gzip; retention in the first batch removes
    the oldest queued raw files, and the later batches must skip them, not fail on them."""
    from powertools.logging.sinks import file as file_module

    gate, failures = threading.Event(), []
    copy = file_module.shutil.copyfileobj

    def slow_first_copy(src: Any, dst: Any) -> None:
        gate.wait(30)
        copy(src, dst)

    monkeypatch.setattr(file_module.shutil, "copyfileobj", slow_first_copy)
    clock = FakeClock()
    sink = FileSink(tmp_path / "app.jsonl", max_bytes=300, retention=2, compress=True, clock=clock)
    real_compress = sink._compress_all

    def recording(targets: list[Path]) -> None:
        try:
            real_compress(targets)
        except Exception as exc:
            failures.append(exc)
            raise

    assert sink._gzip is not None
    monkeypatch.setattr(sink._gzip, "_send", recording)
    log = StructuredLogger("f", sinks=[sink], clock=clock)
    for n in range(40):
        clock.now += 1
        log.info("tick", n=n, padding="x" * 40)
    gate.set()
    sink.flush()
    rotated = sink.rotated_files()
    assert failures == []
    assert len(rotated) == 2
    assert all(p.name.endswith(".gz") for p in rotated)
    sink.close()


def test_a_durable_sink_rotates_with_every_line_kept_and_counted(tmp_path: Path) -> None:
    sink = FileSink(tmp_path / "d.jsonl", durable=True, max_bytes=300, clock=FakeClock())
    log = StructuredLogger("d", sinks=[sink])
    for n in range(12):
        log.info("tick", n=n)
    assert len(sink.rotated_files()) >= 2
    kept = [e["n"] for p in [*sink.rotated_files(), sink.path] for e in read_jsonl(p)]
    assert kept == list(range(12))
    assert sink.count(Query.build("tick", limit=5)) == 12  # a count ignores the limit
    assert [e["n"] for e in log.query(event_type="tick", limit=2)] == [10, 11]
    sink.close()


def test_closing_a_file_sink_twice_is_harmless_and_it_stays_queryable(tmp_path: Path) -> None:
    sink = FileSink(tmp_path / "c.jsonl", durable=True)
    StructuredLogger("c", sinks=[sink]).info("kept")
    sink.close()
    sink.close()
    assert [e.event for e in sink.query(Query.build())] == ["kept"]


def test_a_durable_sink_whose_disk_cannot_fsync_fails_the_logging_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from powertools.logging import SinkError
    from powertools.logging.sinks import file as file_module

    lines_covered: list[int] = []  # by each fsync the syncer tried

    def broken_fsync(fd: int) -> None:
        assert sink._syncer is not None
        lines_covered.append(sink._syncer._written)
        raise OSError(5, "Input/output error")

    sink = FileSink(tmp_path / "broken.jsonl", durable=True)
    log = StructuredLogger("b", sinks=[sink])
    with monkeypatch.context() as patched:
        patched.setattr(file_module.os, "fsync", broken_fsync)
        for _ in range(2):  # and every later call too: the disk stays suspect
            with pytest.raises(SinkError, match=r"broken.jsonl could not fsync: \[Errno 5\]"):
                log.info("maybe_lost")
        assert sink._syncer is not None
        sink._syncer.stop()
        sink._syncer._thread.join(30)
    # at most one try per line written: before, the syncer retried a failed fsync at once and
    # without end (a busy loop, one core at 100 % until the sink was closed)
    assert lines_covered[0] == 1
    assert len(lines_covered) == len(set(lines_covered)) <= 2
    sink.close()
    assert [e.event for e in read_jsonl(sink.path)] == ["maybe_lost", "maybe_lost"]


def test_a_late_fsync_of_a_file_already_synced_and_closed_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from powertools.logging.sinks import file as file_module

    entered, gate = threading.Event(), threading.Event()
    real_fsync = os.fsync

    def slow_on_the_syncer(fd: int) -> None:
        if threading.current_thread().name == "powertools-fsync":
            entered.set()
            gate.wait(30)  # meanwhile flush() syncs the file and close() closes it
        real_fsync(fd)

    monkeypatch.setattr(file_module.os, "fsync", slow_on_the_syncer)
    sink = FileSink(tmp_path / "late.jsonl", durable=True)
    log = StructuredLogger("l", sinks=[sink])
    caller = threading.Thread(target=log.info, args=("acked",))
    caller.start()
    assert entered.wait(30)
    sink.flush()  # the caller's line is on disk now: its call returns
    caller.join(30)
    assert not caller.is_alive()
    syncer = sink._syncer
    assert syncer is not None
    sink.close()
    gate.set()  # the syncer's own fsync now meets a closed file
    syncer._thread.join(30)
    assert not syncer._thread.is_alive()
    assert syncer._error is None
    assert [e.event for e in read_jsonl(sink.path)] == ["acked"]

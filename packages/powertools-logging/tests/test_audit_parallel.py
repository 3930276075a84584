"""The parallel check confirms intact trails only; anything else goes to the sequential check."""

from __future__ import annotations

import io
import itertools
import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from powertools.logging import (
    AuditTamperedError,
    AuditTrail,
    SigningKey,
    _audit_chain,
    _audit_parallel,
)
from powertools.logging._audit import verify_records, verify_trail
from powertools.logging._audit_chain import GENESIS, confirm_range, first_break
from powertools.logging._audit_parallel import ParallelCheck, _ranges


def _trail(folder: Path, n: int = 40, every: int = 7, key: SigningKey | None = None) -> Path:
    trail = AuditTrail(
        folder / "a.audit", signing_key=key, checkpoint_every=every, origin="t", clock=lambda: 1.0
    )
    for i in range(n):
        trail.append("update", actor=f"user{i}", resource=f"doc/{i}", note="x" * (i % 13))
    trail.close()
    return trail.path


def _checkpoints(path: Path) -> dict[int, bytes]:
    lines = Path(f"{path}.checkpoints").read_text().splitlines()
    return {entry["seq"]: entry["hash"].encode() for entry in map(json.loads, lines)}


@pytest.fixture
def parallel_always(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_audit_parallel, "PARALLEL_BYTES", 0)


@pytest.mark.parametrize("processes", [2, 3, 5])
def test_intact_trail_is_confirmed_by_every_range(tmp_path: Path, processes: int) -> None:
    path = _trail(tmp_path)
    check = ParallelCheck(path, path.stat().st_size, _checkpoints(path), processes)
    try:
        assert check.result() == 40
    finally:
        check.close()


@pytest.mark.usefixtures("parallel_always")
def test_verify_trail_in_parallel_counts_checkpoints_and_signatures(tmp_path: Path) -> None:
    key = SigningKey.generate()
    path = _trail(tmp_path, key=key)
    result = verify_trail(path, public_key=key.public_key().raw(), processes=2)
    assert (result.records, result.checkpoints, result.signed) == (40, 6, True)


def _mutate(lines: list[bytes], kind: str, where: int) -> list[bytes]:
    i = where % len(lines)
    if kind == "edit":
        lines[i] = lines[i].replace(b'"update"', b'"delete"')
    elif kind == "delete":
        del lines[i]
    elif kind == "swap":
        j = (i + 1 + where // 7) % len(lines)
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "truncate":
        lines = lines[:i]
    elif kind == "duplicate":
        lines.insert(i, lines[i])
    else:  # a torn last write
        lines[-1] = lines[-1][: where % len(lines[-1])]
    return lines


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(
    kind=st.sampled_from(["edit", "delete", "swap", "truncate", "duplicate", "tear"]),
    where=st.integers(0, 1000),
    processes=st.integers(2, 6),
)
def test_a_tampered_trail_is_never_confirmed(
    tmp_path_factory: pytest.TempPathFactory, kind: str, where: int, processes: int
) -> None:
    path = _trail(tmp_path_factory.mktemp("t"))
    lines = _mutate(path.read_bytes().splitlines(keepends=True), kind, where)
    path.write_bytes(b"".join(lines))
    checkpoints = _checkpoints(path)
    try:
        expected: int | None = verify_records(path.read_bytes(), checkpoints)
    except AuditTamperedError:
        expected = None  # e.g. swapping a record with itself leaves the trail intact
    check = ParallelCheck(path, path.stat().st_size, checkpoints, processes)
    try:
        assert check.result() == expected
    finally:
        check.close()


@pytest.mark.usefixtures("parallel_always")
@pytest.mark.parametrize(
    ("kind", "where", "expected"),
    [("edit", 25, ("edited", 26)), ("delete", 30, ("removed", 31)), ("truncate", 33, None)],
)
def test_parallel_verify_names_the_record_as_the_sequential_check_does(
    tmp_path: Path, kind: str, where: int, expected: tuple[str, int] | None
) -> None:
    path = _trail(tmp_path)
    path.write_bytes(b"".join(_mutate(path.read_bytes().splitlines(keepends=True), kind, where)))
    with pytest.raises(AuditTamperedError) as sequential:
        verify_trail(path, processes=1)
    with pytest.raises(AuditTamperedError) as parallel:
        verify_trail(path, processes=3)
    found = (parallel.value.kind, parallel.value.seq)
    assert found == (sequential.value.kind, sequential.value.seq)
    assert found == (expected or ("truncated", 34))


@pytest.mark.usefixtures("parallel_always")
def test_a_bad_signature_stops_the_workers(tmp_path: Path) -> None:
    path = _trail(tmp_path, key=SigningKey.generate())
    other = SigningKey.generate().public_key().raw()
    with pytest.raises(AuditTamperedError) as caught:
        verify_trail(path, public_key=other, processes=3)
    assert (caught.value.kind, caught.value.seq) == ("forged-checkpoint", 7)


@pytest.mark.usefixtures("parallel_always")
@pytest.mark.parametrize("interpreter", ["/nonexistent/python3", "python-that-fails"])
def test_a_worker_that_cannot_run_means_a_sequential_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interpreter: str
) -> None:
    path = _trail(tmp_path)
    if interpreter == "python-that-fails":
        fake = tmp_path / interpreter
        fake.write_text("#!/bin/sh\nexit 1\n")
        fake.chmod(0o755)
        interpreter = str(fake)
    monkeypatch.setattr(sys, "executable", interpreter)
    check = ParallelCheck(path, path.stat().st_size, _checkpoints(path), 2)
    assert check.result() is None
    check.close()
    assert verify_trail(path, processes=2).records == 40


@pytest.mark.usefixtures("parallel_always")
@pytest.mark.parametrize("executable", ["/usr/sbin/uwsgi", ""])
def test_no_worker_is_started_with_an_interpreter_that_is_not_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, executable: str
) -> None:
    path = _trail(tmp_path)
    monkeypatch.setattr(sys, "executable", executable)
    check = ParallelCheck(path, path.stat().st_size, _checkpoints(path), 4)
    assert check._workers == []
    assert check.result() == 40  # confirmed in this process alone
    check.close()


def test_a_checkpoint_that_is_not_a_hash_is_left_to_the_sequential_check(tmp_path: Path) -> None:
    path = _trail(tmp_path)
    checkpoints = {**_checkpoints(path), 14: b"7\tsomething\n"}
    check = ParallelCheck(path, path.stat().st_size, checkpoints, 2)
    assert check.result() is None
    check.close()
    with pytest.raises(AuditTamperedError) as caught:
        verify_records(path.read_bytes(), checkpoints)
    assert (caught.value.kind, caught.value.seq) == ("rewritten", 14)


def test_lines_longer_than_the_search_window_mean_a_sequential_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _trail(tmp_path)
    monkeypatch.setattr(_audit_parallel, "_WINDOW", 32)
    assert _ranges(path, path.stat().st_size, 2) is None


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=30)
@given(n=st.integers(1, 60), parts=st.integers(1, 12))
def test_ranges_cover_the_trail_at_line_boundaries(
    tmp_path_factory: pytest.TempPathFactory, n: int, parts: int
) -> None:
    path = _trail(tmp_path_factory.mktemp("r"), n=n, every=1000)
    data, size = path.read_bytes(), path.stat().st_size
    found = _ranges(path, size, parts)
    assert found is not None
    assert found[0].start == 0
    assert found[-1].end == size
    lines = data.splitlines(keepends=True)
    for before, after in itertools.pairwise(found):
        assert before.end == after.start
        assert data[after.start - 1 : after.start] == b"\n"
        assert after.prev == data[: after.start].splitlines()[-1][:64]
        assert after.first == len(data[: after.start].splitlines())
    counts = [
        confirm_range(str(path), r.start, r.end, r.prev, r.first, checkpoints={}) for r in found
    ]
    assert sum(count or 0 for count in counts) == len(lines)


def test_first_break_names_the_first_line_off_the_chain(tmp_path: Path) -> None:
    lines = _trail(tmp_path, n=5).read_bytes().split(b"\n")[:-1]
    assert first_break(lines, GENESIS) == -1
    assert first_break(lines[1:], GENESIS) == 0
    assert first_break(lines[:2] + lines[3:], GENESIS) == 2


def test_the_worker_script_reports_a_count_or_minus_one(tmp_path: Path) -> None:
    path = _trail(tmp_path, n=10, every=3)
    size = path.stat().st_size
    wanted = b"".join(b"%d\t%s\n" % item for item in _checkpoints(path).items())

    def run(end: int, checkpoints: bytes) -> str:
        out = io.StringIO()
        args = [str(path), "0", str(end), GENESIS.decode(), "0"]
        assert _audit_chain.main(args, io.BytesIO(checkpoints), out) == 0
        return out.getvalue()

    assert run(size, wanted) == "10\n"
    assert run(size + 1, wanted) == "-1\n"  # the file is shorter than the range
    assert run(size, wanted.replace(b"\t", b"\t0", 1)) == "-1\n"  # a checkpoint differs


def test_a_torn_last_record_is_never_confirmed(tmp_path: Path) -> None:
    path = _trail(tmp_path, n=3)
    size = path.stat().st_size
    assert confirm_range(str(path), 0, size, GENESIS, 0, checkpoints={}) == 3
    assert confirm_range(str(path), 0, size - 1, GENESIS, 0, checkpoints={}) is None


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(
    kind=st.sampled_from(["edit", "delete", "swap", "truncate", "duplicate", "tear", "none"]),
    where=st.integers(0, 1000),
    block=st.integers(1, 600),
)
def test_confirming_block_by_block_agrees_with_the_whole_file_check(
    tmp_path_factory: pytest.TempPathFactory, kind: str, where: int, block: int
) -> None:
    path = _trail(tmp_path_factory.mktemp("b"), n=25, every=4)
    lines = path.read_bytes().splitlines(keepends=True)
    if kind != "none":
        lines = _mutate(lines, kind, where)
    path.write_bytes(b"".join(lines))
    checkpoints = _checkpoints(path)
    try:
        expected: int | None = verify_records(path.read_bytes(), checkpoints)
    except AuditTamperedError:
        expected = None
    size = path.stat().st_size
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_audit_chain, "BLOCK", block)
        found = confirm_range(str(path), 0, size, GENESIS, 0, checkpoints=checkpoints)
    if found is not None and any(seq > found for seq in checkpoints):
        found = None  # beyond what this range can see: ParallelCheck.result() checks it
    assert found == expected


@pytest.mark.usefixtures("parallel_always")
def test_no_line_boundary_to_split_at_means_a_sequential_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _trail(tmp_path)
    monkeypatch.setattr(_audit_parallel, "_WINDOW", 32)
    check = ParallelCheck(path, path.stat().st_size, _checkpoints(path), 2)
    assert check.result() is None
    check.close()
    assert verify_trail(path, processes=2).records == 40


@pytest.mark.parametrize(
    ("garbage", "kind"),
    [
        (b"x" * 64 + b"\tnot-a-seq\t{}\n", "malformed"),
        (b"\x00" * 64 + b"\t7\t{}\n", "removed"),
        (b"short\n", "malformed"),
    ],
)
def test_a_split_point_among_lines_that_are_not_records(
    tmp_path: Path, garbage: bytes, kind: str
) -> None:
    path = tmp_path / "odd.audit"
    path.write_bytes(garbage * 40)
    assert _ranges(path, path.stat().st_size, 2) is None
    with pytest.raises(AuditTamperedError) as caught:
        verify_trail(path, processes=2)
    assert (caught.value.kind, caught.value.seq) == (kind, 1)

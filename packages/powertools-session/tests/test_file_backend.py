"""The file store: corrupt and torn files, compaction, the previous snapshot, durability modes."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from powertools.session import ConflictError, CorruptSessionError, Session
from powertools.session.backends.file import FileBackend


def _store(folder: Path, limit: int | None = None) -> str:
    return folder.as_uri() + (f"?journal_limit={limit}" if limit else "")


def _compacted(folder: Path, name: str = "s") -> Session:
    s = Session(name, store=_store(folder))
    s.set("a", 1)
    s.save()  # snapshot v1
    s.set("a", 2)
    s.save()  # snapshot v2, v1 kept as .prev
    return s


def test_truncated_snapshot_raises_naming_the_file_and_keeps_it(session_dir: Path) -> None:
    _compacted(session_dir)
    snap = session_dir / "s.snap"
    snap.write_bytes(snap.read_bytes()[:-5])
    with pytest.raises(CorruptSessionError, match=r"s\.snap is corrupt \(truncated") as info:
        Session("s")
    assert info.value.location == str(snap)
    assert snap.exists()
    assert (session_dir / "s.snap.prev").exists()


@pytest.mark.parametrize("offset", [0, 5, 10, 20, -1])
def test_flipped_byte_anywhere_is_detected(session_dir: Path, offset: int) -> None:
    _compacted(session_dir)
    snap = session_dir / "s.snap"
    data = bytearray(snap.read_bytes())
    data[offset] ^= 0x40
    snap.write_bytes(bytes(data))
    with pytest.raises(CorruptSessionError, match=r"s\.snap"):
        Session("s")


def test_recover_falls_back_to_the_previous_snapshot(session_dir: Path) -> None:
    _compacted(session_dir)
    (session_dir / "s.snap").write_bytes(b"garbage")
    s = Session.recover("s")
    assert s.get_all() == {"a": 1}
    assert s.version == 3  # saved as a version after the newest acknowledged one (2)
    assert s.recovery is not None
    assert [d.split(": ")[0] for d in s.recovery.damaged] == [str(session_dir / "s.snap")]
    kept = list((session_dir / "s.quarantine").iterdir())
    assert [p.read_bytes() for p in kept] == [b"garbage"]
    with pytest.raises(CorruptSessionError, match="not accepted yet"):
        Session("s")
    assert Session.recover("s", accept=True).get_all() == {"a": 1}
    assert Session("s").get_all() == {"a": 1}


def test_empty_or_foreign_file_is_never_loaded_as_empty(session_dir: Path) -> None:
    session_dir.mkdir(parents=True)
    (session_dir / "s.snap").write_bytes(b"")
    with pytest.raises(CorruptSessionError, match="truncated"):
        Session("s")
    (session_dir / "s.snap").write_bytes(b"NOPE" + bytes(20))
    with pytest.raises(CorruptSessionError, match="bad magic"):
        Session("s")


def _torn_append(session_dir: Path, name: str, cut: int) -> bytes:
    """Leave the journal as a crash in the middle of one more append would: the record cut
    ``cut`` bytes short, and never acknowledged (the lock file's high-water mark not moved)."""
    journal, lock = session_dir / f"{name}.journal", session_dir / f"{name}.lock"
    before, high_water = journal.read_bytes(), lock.read_bytes()
    Session(name).set("in-flight", "x" * 50)
    record = journal.read_bytes()[len(before) :]
    journal.write_bytes(before + record[:-cut])
    lock.write_bytes(high_water)
    return record[:-cut]


def test_torn_journal_tail_is_cut_off_and_kept(session_dir: Path) -> None:
    s = Session("s")
    s.set("a", 1)
    s.set("b", 2)
    torn = _torn_append(session_dir, "s", cut=3)
    opened = Session("s")
    assert opened.get_all() == {"a": 1, "b": 2}
    assert opened.recovery is not None
    assert "torn last record" in opened.recovery.notes[0]
    kept = list((session_dir / "s.quarantine").iterdir())
    assert [p.read_bytes() for p in kept] == [torn]
    again = Session("s")
    again.set("c", 3)
    assert Session("s").get_all() == {"a": 1, "b": 2, "c": 3}


def test_an_acknowledged_record_cut_off_is_reported_not_dropped(session_dir: Path) -> None:
    s = Session("s")
    s.set("a", 1)
    s.set("b", 2)
    journal = session_dir / "s.journal"
    journal.write_bytes(journal.read_bytes()[:-3])  # b's record was acknowledged, then cut
    with pytest.raises(CorruptSessionError, match="versions 2 are missing"):
        Session("s")
    recovered = Session.recover("s")
    assert recovered.get_all() == {"a": 1}
    assert recovered.recovery is not None
    assert recovered.recovery.missing == ((2, 2),)


def test_damage_in_the_middle_of_the_journal_is_corruption(session_dir: Path) -> None:
    s = Session("s")
    for i in range(3):
        s.set(f"k{i}", i)
    journal = session_dir / "s.journal"
    data = bytearray(journal.read_bytes())
    data[20] ^= 0xFF
    journal.write_bytes(bytes(data))
    with pytest.raises(CorruptSessionError, match="checksum mismatch"):
        Session("s")
    # The two intact records after the damaged one are recovered, not thrown away.
    recovered = Session.recover("s")
    assert recovered.get_all() == {"k1": 1, "k2": 2}
    assert recovered.recovery is not None
    assert recovered.recovery.missing == ((1, 1),)


def test_copied_snapshot_of_another_session_is_refused(session_dir: Path) -> None:
    _compacted(session_dir, "a")
    (session_dir / "b.snap").write_bytes((session_dir / "a.snap").read_bytes())
    with pytest.raises(CorruptSessionError, match="belongs to session 'a'"):
        Session("b")


def test_journal_is_compacted_once_it_outgrows_the_snapshot(session_dir: Path) -> None:
    s = Session("s", store=_store(session_dir, limit=2000))
    for i in range(200):
        s.append("history", {"i": i})
    journal = (session_dir / "s.journal").stat().st_size
    assert (session_dir / "s.snap").stat().st_size > 0
    assert journal <= max(2000, (session_dir / "s.snap").stat().st_size) + 200
    assert Session("s").get("history") == [{"i": i} for i in range(200)]


def test_interrupted_compaction_leftovers_are_skipped(session_dir: Path) -> None:
    s = Session("s")
    s.set("a", 1)
    s.append("l", 1)
    journal = (session_dir / "s.journal").read_bytes()
    s.save()
    # as if the process died after renaming the snapshot but before emptying the journal
    (session_dir / "s.journal").write_bytes(journal)
    assert Session("s").get_all() == {"a": 1, "l": [1]}


def test_two_sessions_on_one_name_conflict_instead_of_losing_a_write(session_dir: Path) -> None:
    first, second = Session("s"), Session("s")
    first.set("a", 1)
    with pytest.raises(ConflictError, match="expected version 0, found version 1") as info:
        second.set("b", 2)
    assert (info.value.expected, info.value.found) == (0, 1)
    assert second.get_all() == {}
    second.reload()
    second.set("b", 2)
    assert Session("s").get_all() == {"a": 1, "b": 2}
    first.save()  # a stale compaction is skipped: the journal already holds everything
    assert Session("s").get_all() == {"a": 1, "b": 2}
    with pytest.raises(ConflictError):
        first.set("c", 3)


def test_last_writer_wins_rebases_onto_the_newest_version(session_dir: Path) -> None:
    first = Session("s", on_conflict="last-writer-wins")
    second = Session("s", on_conflict="last-writer-wins")
    first.append("log", "first")
    second.append("log", "second")
    second.set("x", "second")
    first.set("x", "first")
    assert Session("s").get_all() == {"log": ["first", "second"], "x": "first"}


def test_merge_function_sees_theirs_and_ours(session_dir: Path) -> None:
    def merge(theirs: dict[str, object], ours: dict[str, object]) -> dict[str, object]:
        return {**theirs, **ours, "merged": True}

    first, second = Session("s"), Session("s", on_conflict=merge)
    first.set("a", 1)
    second.set("b", 2)
    assert Session("s").get_all() == {"a": 1, "b": 2, "merged": True}


def test_threads_sharing_one_session_lose_nothing(session_dir: Path) -> None:
    s = Session("s", durability="none")

    def work(n: int) -> None:
        for i in range(50):
            s.append("log", (n, i))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(Session("s").get("log")) == sorted((n, i) for n in range(4) for i in range(50))


@pytest.mark.parametrize("durability", ["none", "process", "power"])
def test_every_durability_persists(session_dir: Path, durability: str) -> None:
    s = Session("s", durability=durability)  # type: ignore[arg-type]
    s.set("a", 1)
    s.save()
    s.set("b", 2)
    assert Session("s").get_all() == {"a": 1, "b": 2}


def test_names_and_delete(tmp_path: Path) -> None:
    backend = FileBackend(tmp_path)
    Session("x", store=tmp_path.as_uri()).set("a", 1)
    assert backend.names() == ["x"]
    assert backend.load("nothing") is None
    backend.delete("x")
    assert backend.names() == []
    assert Session("x", store=tmp_path.as_uri()).get_all() == {}


def _fsyncs_of(monkeypatch: pytest.MonkeyPatch, durability: str, folder: Path) -> tuple[int, int]:
    """fsync calls made by (ordinary writes and a compaction, a recovery of a damaged record)."""
    import os

    from powertools.session._envelope import scan_journal

    calls: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real(fd))[1])
    store = folder.as_uri()
    s = Session("s", store=store, durability=durability)  # type: ignore[arg-type]
    s.set("a", 1)
    s.set("b", 2)
    s.save()
    s.set("c", 3)
    s.set("d", 4)
    writes = len(calls)
    journal = folder / "s.journal"
    first = scan_journal(journal.read_bytes()).records[0][0]
    data = bytearray(journal.read_bytes())
    data[first + 40] ^= 0x01
    journal.write_bytes(bytes(data))
    calls.clear()
    recovered = Session.recover("s", store=store, durability=durability)  # type: ignore[arg-type]
    assert recovered.get("d") == 4
    assert recovered.recovery is not None
    assert (folder / "s.quarantine").is_dir()
    return writes, len(calls)


def test_the_three_durability_levels_differ_in_what_they_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    power = _fsyncs_of(monkeypatch, "power", tmp_path / "power")
    process = _fsyncs_of(monkeypatch, "process", tmp_path / "process")
    none = _fsyncs_of(monkeypatch, "none", tmp_path / "none")
    assert power[0] >= 5  # each append, the snapshot, the folder, the truncated journal
    assert process[0] == 0  # the session's own writes stop at the page cache
    assert process[1] >= 2  # ...but what recovery sets aside is fsynced before the rewrite
    assert power[1] > process[1]  # power also fsyncs the recovered snapshot it writes
    assert none == (0, 0)  # nothing, not even the quarantine copies


def test_a_session_deleted_while_we_wait_for_its_lock_is_locked_anew_and_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fcntl
    import os

    from powertools.session.backends import file as file_backend

    Session("s", store=_store(tmp_path)).set("a", 1)
    real_flock = fcntl.flock
    links: list[int] = []

    def flock(fd: int, operation: int) -> None:
        if operation == fcntl.LOCK_EX and not links:  # another process deletes it meanwhile
            links.append(-1)
            FileBackend(tmp_path).delete("s")
        real_flock(fd, operation)
        if operation == fcntl.LOCK_EX:
            links.append(os.fstat(fd).st_nlink)

    monkeypatch.setattr(file_backend.fcntl, "flock", flock)
    assert FileBackend(tmp_path).load("s") is None
    # the deleter's lock; ours, on the lock file it unlinked; ours again, on a new one
    assert links == [-1, 1, 0, 1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.lock"]
    monkeypatch.undo()
    assert Session("s", store=_store(tmp_path)).get_all() == {}


def test_accepting_a_recovery_without_durability_fsyncs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    s = Session("s", store=_store(tmp_path), durability="none")
    s.set("a", 1)
    s.set("b", 2)
    journal = tmp_path / "s.journal"
    data = bytearray(journal.read_bytes())
    data[20] ^= 0x01
    journal.write_bytes(bytes(data))
    Session.recover("s", store=_store(tmp_path), durability="none")
    fsyncs: list[int] = []
    monkeypatch.setattr(os, "fsync", fsyncs.append)
    accepted = Session.recover("s", store=_store(tmp_path), durability="none", accept=True)
    assert accepted.get_all() == {"b": 2}
    assert fsyncs == []
    assert not (tmp_path / "s.damaged").exists()
    assert Session("s", store=_store(tmp_path)).get_all() == {"b": 2}

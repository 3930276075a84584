"""The cases of damaged sessions that recovery once got wrong, each as it was reproduced.

Recovery must never delete or overwrite damaged bytes (they are copied into a quarantine first),
must keep every intact acknowledged record, must say what it did, must raise when nothing intact
is left, and must leave the session marked until the result is accepted.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from pathlib import Path
from typing import Any

import pytest

from powertools.session import CorruptSessionError, RecoveryReport, Session
from powertools.session._backend import open_backend
from powertools.session.testing import memory_store


def _flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def _record_offsets(journal: Path) -> list[int]:
    from powertools.session._envelope import scan_journal

    return [offset for offset, _ in scan_journal(journal.read_bytes()).records]


def _quarantined(folder: Path, name: str = "s") -> list[bytes]:
    return [p.read_bytes() for p in sorted((folder / f"{name}.quarantine").iterdir())]


def test_1_the_only_snapshot_truncated_raises_and_stays_raising(session_dir: Path) -> None:
    s = Session("s")
    s.set("a", 1)
    s.save()
    snap = session_dir / "s.snap"
    snap.write_bytes(snap.read_bytes()[:-4])
    damaged = snap.read_bytes()
    with pytest.raises(CorruptSessionError, match="nothing intact is left") as info:
        Session.recover("s")
    assert info.value.quarantine == str(session_dir / "s.quarantine")
    assert _quarantined(session_dir) == [damaged]
    assert snap.read_bytes() == damaged  # nothing renamed away or rewritten
    with pytest.raises(CorruptSessionError):
        Session("s")  # the damage is not hidden by a second open
    with pytest.raises(CorruptSessionError):
        Session.recover("s")
    fresh = Session.recover("s", accept=True)  # the user accepts that nothing could be saved
    assert fresh.get_all() == {}
    assert fresh.recovery is not None
    assert fresh.recovery.accepted
    assert Session("s").get_all() == {}
    assert _quarantined(session_dir) == [damaged]


def test_2_a_flipped_byte_in_the_first_record_loses_only_that_record(session_dir: Path) -> None:
    s = Session("s")
    for i in range(3):
        s.set(f"k{i}", i)
    journal = session_dir / "s.journal"
    first_end = _record_offsets(journal)[1]
    damaged = bytearray(journal.read_bytes()[:first_end])
    _flip(journal, first_end - 2)
    damaged[first_end - 2] ^= 0x01
    with pytest.raises(CorruptSessionError, match="checksum mismatch"):
        Session("s")
    recovered = Session.recover("s")
    assert recovered.get_all() == {"k1": 1, "k2": 2}
    report = recovered.recovery
    assert report is not None
    assert report.missing == ((1, 1),)
    assert report.recovered == ((2, 3),)
    assert report.damaged == (f"{journal} bytes 0-{first_end}: checksum mismatch",)
    assert _quarantined(session_dir) == [bytes(damaged)]


def test_3_damaged_newest_snapshot_keeps_the_records_after_it(session_dir: Path) -> None:
    s = Session("s")
    s.set("a", 1)
    s.save()  # snapshot v1
    s.set("b", 2)
    s.save()  # snapshot v2, v1 kept as .prev
    s.set("c", 3)
    s.set("d", 4)  # two acknowledged records, v3 and v4
    _flip(session_dir / "s.snap", 30)
    recovered = Session.recover("s")
    assert recovered.get_all() == {"a": 1, "c": 3, "d": 4}
    assert recovered.recovery is not None
    assert recovered.recovery.missing == ((2, 2),)  # b lived only in the damaged snapshot
    assert recovered.version == 5
    assert Session.recover("s", accept=True).get_all() == {"a": 1, "c": 3, "d": 4}
    assert Session("s").get_all() == {"a": 1, "c": 3, "d": 4}


def test_5_a_flipped_byte_in_the_last_record_is_corruption_not_a_torn_write(
    session_dir: Path,
) -> None:
    s = Session("s")
    for i in range(3):
        s.set(f"k{i}", i)
    journal = session_dir / "s.journal"
    _flip(journal, len(journal.read_bytes()) - 2)
    size = journal.stat().st_size
    with pytest.raises(CorruptSessionError, match="checksum mismatch"):
        Session("s")
    assert journal.stat().st_size == size  # nothing cut
    assert Session.recover("s").get_all() == {"k0": 0, "k1": 1}


def test_a_flipped_length_field_is_told_from_a_torn_record(session_dir: Path) -> None:
    s = Session("s")
    s.set("a", 1)
    s.set("b", 2)
    journal = session_dir / "s.journal"
    _flip(journal, _record_offsets(journal)[1] + 7)  # the last record's length, upwards
    with pytest.raises(CorruptSessionError, match="length field damaged"):
        Session("s")


def test_recovery_report_is_logged(session_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    s = Session("s")
    s.set("a", 1)
    s.set("b", 2)
    _flip(session_dir / "s.journal", 20)
    with caplog.at_level(logging.WARNING, logger="powertools.session"):
        Session.recover("s")
    (record,) = [r for r in caplog.records if r.name == "powertools.session"]
    assert "1 damaged piece(s)" in record.getMessage()
    assert str(session_dir / "s.quarantine") in record.getMessage()


def test_the_mark_keeps_the_report_for_a_later_recover(session_dir: Path) -> None:
    s = Session("s")
    s.set("a", 1)
    s.set("b", 2)
    _flip(session_dir / "s.journal", 20)
    first = Session.recover("s").recovery
    again = Session.recover("s").recovery
    assert isinstance(again, RecoveryReport)
    assert first is not None
    assert (again.damaged, again.missing, again.quarantine) == (
        first.damaged,
        first.missing,
        first.quarantine,
    )
    assert not again.accepted
    assert Session.recover("s", accept=True).recovery.accepted  # type: ignore[union-attr]
    assert Session("s").recovery is None


def test_a_store_problem_fills_stored_problems(session_dir: Path) -> None:
    s = Session("s")
    s.set("a", 1)
    journal = session_dir / "s.journal"
    journal.write_bytes(journal.read_bytes() + b"PTS1\x00\x00")  # a torn start of a record
    stored = open_backend(session_dir.as_uri()).load("s")
    assert stored is not None
    assert len(stored.problems) == 1
    assert "torn last record (6 bytes at byte" in stored.problems[0]


def test_wrong_settings_are_not_mistaken_for_damage(session_dir: Path) -> None:
    s = Session("s")
    s.set("a", "x" * 1000)  # compressed
    with pytest.raises(CorruptSessionError, match="compression=None"):
        Session.recover("s", compression=None)
    assert not (session_dir / "s.quarantine").exists()
    assert Session("s").get("a") == "x" * 1000


@pytest.fixture(params=["memory", "redis", "postgres"])
def journal_store(request: pytest.FixtureRequest) -> str:
    if request.param == "memory":
        return f"memory://{secrets.token_hex(4)}"
    request.applymarker(pytest.mark.integration)
    if request.param == "redis":
        return f"{request.getfixturevalue('redis_url')}?prefix=r{secrets.token_hex(3)}"
    return f"{request.getfixturevalue('postgres_dsn')}?table=r_{secrets.token_hex(4)}"


def test_4_a_damaged_middle_record_keeps_the_records_after_it(journal_store: str) -> None:
    s = Session("s", store=journal_store)
    for i in range(3):
        s.set(f"k{i}", i)
    backend = open_backend(journal_store)
    stored = backend.load("s")
    assert stored is not None
    assert len(stored.records) == 3
    middle = bytearray(stored.records[1])
    middle[-2] ^= 0x01
    _overwrite_record(journal_store, 1, bytes(middle))
    with pytest.raises(CorruptSessionError, match="record 2"):
        Session("s", store=journal_store)
    recovered = Session.recover("s", store=journal_store)
    assert recovered.get_all() == {"k0": 0, "k2": 2}
    assert recovered.recovery is not None
    assert recovered.recovery.missing == ((2, 2),)
    assert bytes(middle) in _quarantine_of(journal_store)
    with pytest.raises(CorruptSessionError, match="not accepted yet"):
        Session("s", store=journal_store)
    Session.recover("s", store=journal_store, accept=True)
    assert Session("s", store=journal_store).get_all() == {"k0": 0, "k2": 2}


def _overwrite_record(store: str, index: int, data: bytes) -> None:
    if store.startswith("memory://"):
        from powertools.session.backends import memory

        memory._SPACES[store.removeprefix("memory://")]["s"].records[index] = data
    elif store.startswith("redis://"):
        import redis

        url, _, query = store.partition("?prefix=")
        with redis.Redis.from_url(url) as client:
            client.lset(f"{{{query}:s}}:log", index, data)
    else:
        _postgres(
            store,
            "UPDATE {t}_journal SET record = $1 WHERE name = 's' AND version = $2",
            data,
            index + 1,
        )


def _quarantine_of(store: str) -> list[bytes]:
    if store.startswith("memory://"):
        from powertools.session.backends.memory import MemoryBackend

        return list(MemoryBackend(store.removeprefix("memory://")).quarantined("s").values())
    if store.startswith("redis://"):
        import redis

        url, _, query = store.partition("?prefix=")
        with redis.Redis.from_url(url) as client:
            return list(client.hvals(f"{{{query}:s}}:quarantine"))
    rows = _postgres(store, "SELECT piece FROM {t}_quarantine WHERE name = 's'")
    return [r["piece"] for r in rows]


def _postgres(store: str, sql: str, *args: object) -> list[dict[str, bytes]]:
    import asyncio

    import asyncpg

    dsn, _, table = store.partition("?table=")

    async def run() -> list[dict[str, bytes]]:
        conn = await asyncpg.connect(dsn)
        try:
            return [dict(r) for r in await conn.fetch(sql.replace("{t}", table), *args)]
        finally:
            await conn.close()

    return asyncio.run(run())


async def test_async_recovery_quarantines_reports_and_marks(session_dir: Path) -> None:
    from powertools.session import AsyncSession

    async with AsyncSession("s") as s:
        for i in range(3):
            await s.set(f"k{i}", i)
    _flip(session_dir / "s.journal", 20)
    with pytest.raises(CorruptSessionError):
        await AsyncSession.open("s")
    recovered = await AsyncSession.recover("s")
    assert recovered.get_all() == {"k1": 1, "k2": 2}
    assert recovered.recovery is not None
    assert recovered.recovery.missing == ((1, 1),)
    with pytest.raises(CorruptSessionError, match="not accepted yet"):
        await AsyncSession.open("s")
    accepted = await AsyncSession.recover("s", accept=True)
    assert accepted.recovery is not None
    assert accepted.recovery.accepted
    assert (await AsyncSession.open("s")).get_all() == {"k1": 1, "k2": 2}


def _set_version(store: str, version: int) -> None:
    if store.startswith("memory://"):
        from powertools.session.backends import memory

        memory._SPACES[store.removeprefix("memory://")]["s"].version = version
    elif store.startswith("redis://"):
        import redis

        url, _, query = store.partition("?prefix=")
        with redis.Redis.from_url(url) as client:
            client.set(f"{{{query}:s}}:ver", version)
    else:
        _postgres(store, "UPDATE {t} SET version = $1 WHERE name = 's' RETURNING name", version)


def test_a_version_counter_behind_the_data_is_damage_that_recover_reports(
    journal_store: str,
) -> None:
    s = Session("s", store=journal_store)
    for i in range(3):
        s.set(f"k{i}", i)
    _set_version(journal_store, 1)
    with pytest.raises(CorruptSessionError, match="the stored version is 1, the data reaches 3"):
        Session("s", store=journal_store)
    recovered = Session.recover("s", store=journal_store)
    assert recovered.get_all() == {"k0": 0, "k1": 1, "k2": 2}
    assert recovered.recovery is not None
    assert recovered.recovery.damaged == (
        f"{open_backend(journal_store).load('s').snapshot_location}: "  # type: ignore[union-attr]
        "the stored version is 1, the data reaches 3",
    )
    assert _quarantine_of(journal_store) == []  # a counter has no bytes to keep
    Session.recover("s", store=journal_store, accept=True)
    reopened = Session("s", store=journal_store)
    assert reopened.get_all() == {"k0": 0, "k1": 1, "k2": 2}
    assert reopened.version > 3


async def test_an_async_recovery_quarantines_and_accepts_on_every_journal_store(
    journal_store: str,
) -> None:
    from powertools.session import AsyncSession

    async with AsyncSession("s", store=journal_store) as s:
        for i in range(3):
            await s.set(f"k{i}", i)
    stored = await open_backend(journal_store).aload("s")
    assert stored is not None
    middle = bytearray(stored.records[1])
    middle[-2] ^= 0x01
    await asyncio.to_thread(_overwrite_record, journal_store, 1, bytes(middle))
    recovered = await AsyncSession.recover("s", store=journal_store)
    assert recovered.get_all() == {"k0": 0, "k2": 2}
    assert bytes(middle) in await asyncio.to_thread(_quarantine_of, journal_store)
    with pytest.raises(CorruptSessionError, match="not accepted yet"):
        await AsyncSession.open("s", store=journal_store)
    accepted = await AsyncSession.recover("s", store=journal_store, accept=True)
    assert accepted.recovery is not None
    assert accepted.recovery.accepted
    assert (await AsyncSession.open("s", store=journal_store)).get_all() == {"k0": 0, "k2": 2}


def test_a_recovery_racing_a_writer_sets_nothing_aside_and_raises_conflict(
    journal_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from powertools.session import ConflictError
    from powertools.session._options import open_backend as real_open

    writer = Session("s", store=journal_store)
    for i in range(3):
        writer.set(f"k{i}", i)
    stored = open_backend(journal_store).load("s")
    assert stored is not None
    middle = bytearray(stored.records[1])
    middle[-2] ^= 0x01
    _overwrite_record(journal_store, 1, bytes(middle))

    def racing(url: str | None, *args: object) -> object:
        backend = real_open(url, *args)  # type: ignore[arg-type]
        load = backend.load

        def load_then_written(name: str, recover: bool = False) -> object:
            found = load(name, recover)
            writer.set("late", True)  # acknowledged after the recovery read the session
            return found

        backend.load = load_then_written  # type: ignore[method-assign]
        return backend

    monkeypatch.setattr("powertools.session._options.open_backend", racing)
    with pytest.raises(ConflictError, match="session 's' changed under us"):
        Session.recover("s", store=journal_store)
    monkeypatch.undo()
    assert _quarantine_of(journal_store) == []
    with pytest.raises(CorruptSessionError, match="record 2"):  # not marked: nothing was set aside
        Session("s", store=journal_store)


def _entry(store: str) -> Any:
    from powertools.session.backends import memory

    return memory._SPACES[store.removeprefix("memory://")]["s"]


def test_a_journal_record_in_the_snapshot_slot_is_damage_and_the_journal_still_counts() -> None:
    store = memory_store()
    s = Session("s", store=store)
    s.set("a", 1)
    s.set("b", 2)
    misplaced = _entry(store).records[0]
    _entry(store).snapshot = misplaced  # a bad restore copied a record over the snapshot
    with pytest.raises(CorruptSessionError, match="holds a 'ops' piece, not a snapshot"):
        Session("s", store=store)
    recovered = Session.recover("s", store=store)
    assert recovered.get_all() == {"a": 1, "b": 2}
    assert recovered.recovery is not None
    assert recovered.recovery.damaged == (f"{store}/s: holds a 'ops' piece, not a snapshot",)
    assert _quarantine_of(store) == [misplaced]


def test_a_snapshot_in_the_journal_is_damage_and_the_versions_after_it_are_missing() -> None:
    store = memory_store()
    s = Session("s", store=store)
    s.set("a", 1)
    s.save()  # the snapshot of version 1
    s.set("b", 2)
    entry = _entry(store)
    entry.records[0] = entry.snapshot  # where version 2's record was
    with pytest.raises(CorruptSessionError, match="holds a 'snap' piece, not a record"):
        Session("s", store=store)
    recovered = Session.recover("s", store=store)
    assert recovered.get_all() == {"a": 1}
    assert recovered.recovery is not None
    assert recovered.recovery.missing == ((2, 2),)
    assert recovered.recovery.recovered == ((1, 1),)


def test_a_record_that_cannot_be_applied_is_damage_not_a_crash() -> None:
    from powertools.session import JsonSerializer
    from powertools.session._envelope import Codec, Header

    store = memory_store()
    Session("s", store=store).set("n", 1)
    foreign = Codec(JsonSerializer(), None, None).seal(
        Header("ops", "s", 2, "json"),
        [["app", "n", 5]],  # what no Session writes: n is an int
    )
    entry = _entry(store)
    entry.records.append(foreign)
    entry.version = 2
    with pytest.raises(CorruptSessionError, match="record 2 is corrupt \\(cannot be applied here"):
        Session("s", store=store)
    recovered = Session.recover("s", store=store)
    assert recovered.get_all() == {"n": 1}
    assert recovered.recovery is not None
    assert recovered.recovery.missing == ((2, 2),)
    assert _quarantine_of(store) == [foreign]


def test_an_unreadable_recovery_mark_still_refuses_and_is_reported(session_dir: Path) -> None:
    s = Session("s")
    s.set("a", 1)
    (session_dir / "s.damaged").write_bytes(b"\xff not a report")
    with pytest.raises(CorruptSessionError, match="not accepted yet") as refused:
        Session("s")
    assert refused.value.quarantine == str(session_dir / "s.damaged")
    recovered = Session.recover("s")
    assert recovered.get_all() == {"a": 1}
    assert recovered.recovery is not None
    assert recovered.recovery.notes == ("the recovery mark is unreadable: '\ufffd not a report'",)
    assert Session.recover("s", accept=True).recovery is not None
    assert Session("s").get_all() == {"a": 1}


def test_a_snapshot_needing_other_settings_is_not_mistaken_for_damage(session_dir: Path) -> None:
    s = Session("s")
    s.set("a", "x" * 1000)
    s.save()  # a compressed snapshot, no journal
    with pytest.raises(CorruptSessionError, match="compression=None"):
        Session.recover("s", compression=None)
    assert not (session_dir / "s.quarantine").exists()
    assert not (session_dir / "s.damaged").exists()

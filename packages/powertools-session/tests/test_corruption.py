"""Corruption harness: damage one stored piece at a hypothesis-chosen spot, then open and recover.

For each store, a session with a snapshot and journal records (see ``build``); one
piece in turn has a byte flipped, is truncated, deleted or duplicated. Never allowed: a plain open
returning anything but the whole session without saying so; a recovery losing an intact
acknowledged record, returning less without a report, or leaving the damaged bytes nowhere.
Rigs that reach into each store and damage one stored piece, for the corruption tests.

The session built by :func:`build` holds a snapshot at version 2 (``k0``, ``k1``), on the file
store a previous snapshot at version 1 (``k0``), and three journal records (versions 3-5, setting
``k2``, ``k3``, ``k4``). Pieces are named ``snap``, ``prev``, ``journal`` (the whole journal file)
and ``rec0``..``rec2``.
"""

from __future__ import annotations

import asyncio
import secrets
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from powertools.session import CorruptSessionError, Session
from powertools.session._envelope import scan_journal
from powertools.session.backends import memory

EXPECTED = {f"k{i}": i for i in range(5)}
RECORDS = 3


def build(store: str, name: str) -> None:
    """The session every corruption trial starts from."""
    s = Session(name, store=store, durability="process")
    s.set("k0", 0)
    s.save()
    s.set("k1", 1)
    s.save()
    for i in range(2, 5):
        s.set(f"k{i}", i)


class Rig:
    """Read, overwrite or delete one piece of one stored session."""

    has_prev = False
    pieces: tuple[str, ...] = ("snap", "rec0", "rec1", "rec2")

    def read(self, name: str, piece: str) -> bytes | None:
        raise NotImplementedError

    def write(self, name: str, piece: str, data: bytes | None) -> None:
        """Replace the piece's bytes (None: delete the piece)."""
        raise NotImplementedError

    def truncate(self, name: str, piece: str, at: int) -> None:
        data = self.read(name, piece)
        assert data is not None
        self.write(name, piece, data[:at])

    def duplicate(self, name: str, piece: str) -> bool:
        """Store the piece twice; False where the store cannot hold a duplicate."""
        data = self.read(name, piece)
        assert data is not None
        self.write(name, piece, data + data)
        return True

    def everything(self, name: str) -> list[bytes]:
        """Every blob the store holds for the session, live or quarantined."""
        raise NotImplementedError


class FileRig(Rig):
    has_prev = True
    pieces = ("snap", "prev", "journal", "rec0", "rec1", "rec2")

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, name: str, piece: str) -> Path:
        suffix = {"snap": ".snap", "prev": ".snap.prev"}.get(piece, ".journal")
        return self.folder / f"{name}{suffix}"

    def _span(self, name: str, piece: str) -> tuple[int, int]:
        data = self._path(name, "journal").read_bytes()
        offset, blob = scan_journal(data).records[int(piece[3:])]
        return offset, offset + len(blob)

    def read(self, name: str, piece: str) -> bytes | None:
        path = self._path(name, piece)
        if not path.exists():
            return None
        if piece.startswith("rec"):
            start, end = self._span(name, piece)
            return path.read_bytes()[start:end]
        return path.read_bytes()

    def write(self, name: str, piece: str, data: bytes | None) -> None:
        path = self._path(name, piece)
        if piece.startswith("rec"):
            start, end = self._span(name, piece)
            whole = path.read_bytes()
            path.write_bytes(whole[:start] + (data or b"") + whole[end:])
        elif data is None:
            path.unlink()
        else:
            path.write_bytes(data)

    def truncate(self, name: str, piece: str, at: int) -> None:
        """Cut the file at ``at`` bytes into the piece: a record's successors go with it."""
        path = self._path(name, piece)
        start = self._span(name, piece)[0] if piece.startswith("rec") else 0
        path.write_bytes(path.read_bytes()[: start + at])

    def everything(self, name: str) -> list[bytes]:
        found = [p.read_bytes() for p in self.folder.iterdir() if p.is_file()]
        quarantine = self.folder / f"{name}.quarantine"
        if quarantine.exists():
            found += [p.read_bytes() for p in quarantine.iterdir()]
        return found


class MemoryRig(Rig):
    def __init__(self, space: str) -> None:
        self.space = space

    def _entry(self, name: str) -> Any:
        return memory._SPACES[self.space][name]

    def read(self, name: str, piece: str) -> bytes | None:
        entry = self._entry(name)
        if piece == "snap":
            return entry.snapshot  # type: ignore[no-any-return]
        return entry.records[int(piece[3:])]  # type: ignore[no-any-return]

    def write(self, name: str, piece: str, data: bytes | None) -> None:
        entry = self._entry(name)
        if piece == "snap":
            entry.snapshot = data
        elif data is None:
            del entry.records[int(piece[3:])]
        else:
            entry.records[int(piece[3:])] = data

    def duplicate(self, name: str, piece: str) -> bool:
        if piece == "snap":
            return super().duplicate(name, piece)
        i = int(piece[3:])
        self._entry(name).records.insert(i, self._entry(name).records[i])
        return True

    def everything(self, name: str) -> list[bytes]:
        entry = self._entry(name)
        live = [entry.snapshot or b"", *entry.records]
        return live + list(entry.quarantine.values())


class RedisRig(Rig):
    def __init__(self, url: str, prefix: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.prefix = prefix

    def _key(self, name: str, part: str) -> str:
        return f"{{{self.prefix}:{name}}}:{part}"

    def read(self, name: str, piece: str) -> bytes | None:
        if piece == "snap":
            return self.client.get(self._key(name, "snap"))  # type: ignore[no-any-return]
        return self.client.lindex(self._key(name, "log"), int(piece[3:]))  # type: ignore[no-any-return]

    def write(self, name: str, piece: str, data: bytes | None) -> None:
        if piece == "snap":
            if data is None:
                self.client.delete(self._key(name, "snap"))
            else:
                self.client.set(self._key(name, "snap"), data)
            return
        log, i = self._key(name, "log"), int(piece[3:])
        if data is None:
            self.client.lset(log, i, b"\x00gone")
            self.client.lrem(log, 1, b"\x00gone")
        else:
            self.client.lset(log, i, data)

    def duplicate(self, name: str, piece: str) -> bool:
        if piece == "snap":
            return super().duplicate(name, piece)
        log = self._key(name, "log")
        record = self.client.lindex(log, int(piece[3:]))
        self.client.linsert(log, "AFTER", record, record)
        return True

    def everything(self, name: str) -> list[bytes]:
        live = [self.read(name, "snap") or b"", *self.client.lrange(self._key(name, "log"), 0, -1)]
        return live + list(self.client.hvals(self._key(name, "quarantine")))


class PostgresRig(Rig):
    def __init__(self, dsn: str, table: str) -> None:
        self.dsn = dsn
        self.table = table

    def _sql(self, sql: str, *args: object) -> Any:
        import asyncpg

        async def run() -> Any:
            conn = await asyncpg.connect(self.dsn)
            try:
                return await conn.fetch(sql.replace("{t}", self.table), *args)
            finally:
                await conn.close()

        return asyncio.run(run())

    def _versions(self, name: str) -> list[int]:
        rows = self._sql("SELECT version FROM {t}_journal WHERE name = $1 ORDER BY version", name)
        return [r["version"] for r in rows]

    def read(self, name: str, piece: str) -> bytes | None:
        if piece == "snap":
            return self._sql("SELECT snapshot FROM {t} WHERE name = $1", name)[0]["snapshot"]  # type: ignore[no-any-return]
        version = self._versions(name)[int(piece[3:])]
        rows = self._sql(
            "SELECT record FROM {t}_journal WHERE name = $1 AND version = $2", name, version
        )
        return rows[0]["record"]  # type: ignore[no-any-return]

    def write(self, name: str, piece: str, data: bytes | None) -> None:
        if piece == "snap":
            self._sql("UPDATE {t} SET snapshot = $2 WHERE name = $1", name, data)
            return
        version = self._versions(name)[int(piece[3:])]
        if data is None:
            self._sql("DELETE FROM {t}_journal WHERE name = $1 AND version = $2", name, version)
        else:
            self._sql(
                "UPDATE {t}_journal SET record = $3 WHERE name = $1 AND version = $2",
                name,
                version,
                data,
            )

    def duplicate(self, name: str, piece: str) -> bool:
        if piece == "snap":
            return super().duplicate(name, piece)
        return False  # (name, version) is the journal's primary key: no duplicate row can exist

    def everything(self, name: str) -> list[bytes]:
        snap = self.read(name, "snap") or b""
        rows = self._sql("SELECT record FROM {t}_journal WHERE name = $1", name)
        kept = self._sql("SELECT piece FROM {t}_quarantine WHERE name = $1", name)
        return [snap, *(r["record"] for r in rows), *(r["piece"] for r in kept)]


STORES = ["memory", "file", "redis", "postgres"]
DAMAGES = ["flip", "truncate", "delete", "duplicate"]


@pytest.fixture(params=STORES)
def rig(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Rig]:
    kind = request.param
    if kind == "memory":
        space = secrets.token_hex(4)
        return f"memory://{space}", MemoryRig(space)
    if kind == "file":
        return "file", FileRig(tmp_path)  # a fresh folder per example, made in the test
    request.applymarker(pytest.mark.integration)
    if kind == "redis":
        url = str(request.getfixturevalue("redis_url"))
        prefix = f"c{secrets.token_hex(3)}"
        return f"{url}?prefix={prefix}", RedisRig(url, prefix)
    table = f"c_{secrets.token_hex(4)}"
    dsn = str(request.getfixturevalue("postgres_dsn"))
    return f"{dsn}?table={table}", PostgresRig(dsn, table)


def damage(rig: Rig, name: str, piece: str, kind: str, at: int) -> bytes | None:
    """Apply one damage; returns the damaged piece's bytes (None when nothing is left)."""
    data = rig.read(name, piece)
    assume(data is not None and len(data) > 1)
    assert data is not None
    at %= len(data)
    start, end = 0, len(data)
    if piece == "journal":  # the damaged bytes are those of the record the spot falls in
        start, blob = next((o, b) for o, b in scan_journal(data).records if o + len(b) > at)
        end = start + len(blob)
    if kind == "flip":
        flipped = bytearray(data)
        flipped[at] ^= 1 << (at % 8)
        rig.write(name, piece, bytes(flipped))
        return bytes(flipped[start:end])
    if kind == "truncate":
        assume(at > start)  # inside a record, never on a record boundary
        rig.truncate(name, piece, at)
        return data[start:at]
    if kind == "delete":
        rig.write(name, piece, None)
        return None
    assume(rig.duplicate(name, piece))
    return None


def required(rig: Rig, piece: str, kind: str) -> dict[str, int]:
    """What a recovery must still return: every key of a piece left intact."""
    everything = list(range(RECORDS))
    if kind == "duplicate" or piece in ("snap", "prev"):
        intact = everything
    elif piece == "journal":
        intact = []  # where in the file the damage fell is not known here: demand nothing
    else:
        i = int(piece[3:])
        cuts_rest = kind == "truncate" and isinstance(rig, FileRig)
        intact = [j for j in everything if j < i or (j > i and not cuts_rest)]
    keys = {f"k{j + 2}" for j in intact}
    if piece != "snap":
        keys |= {"k0", "k1"}
    elif rig.has_prev:
        keys.add("k0")  # the previous snapshot is intact
    return {k: EXPECTED[k] for k in sorted(keys)}


def check_plain_open(store: str, name: str) -> None:
    """A plain open refuses, or returns the whole session, or says what it cut."""
    try:
        opened = Session(name, store=store)
    except CorruptSessionError:
        return
    if opened.get_all() != EXPECTED:
        assert opened.recovery is not None, opened.get_all()
        assert opened.recovery.notes or opened.recovery.damaged


def check_recover(
    store: str, rig: Rig, name: str, must: dict[str, int], kept: bytes | None
) -> None:
    try:
        recovered = Session.recover(name, store=store)
    except CorruptSessionError as exc:
        failure: CorruptSessionError | None = exc
    else:
        failure = None
    if failure is not None:
        assert not must, f"nothing recovered though {must} was intact: {failure}"
        assert failure.quarantine, failure
        return
    data = recovered.get_all()
    assert {k: data.get(k) for k in must} == must, (data, recovered.recovery)
    if data != EXPECTED:
        assert recovered.recovery is not None, data
    if kept is not None:
        assert any(kept in blob for blob in rig.everything(name)), "damaged bytes were deleted"
    if recovered.recovery is not None and recovered.recovery.quarantine:
        with pytest.raises(CorruptSessionError, match="not accepted yet"):
            Session(name, store=store)
        Session.recover(name, store=store, accept=True)
    assert Session(name, store=store).get_all() == data


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(piece=st.integers(0, 5), kind=st.sampled_from(DAMAGES), at=st.integers(0, 1 << 20))
def test_damage_is_refused_then_recovered_without_losing_intact_data(
    rig: tuple[str, Rig], piece: int, kind: str, at: int
) -> None:
    store, r = rig
    if isinstance(r, FileRig):
        r = FileRig(Path(tempfile.mkdtemp(dir=r.folder)))
        store = r.folder.as_uri()
    name = f"c{secrets.token_hex(4)}"
    chosen = r.pieces[piece % len(r.pieces)]
    build(store, name)
    kept = damage(r, name, chosen, kind, at)
    check_plain_open(store, name)
    check_recover(store, r, name, required(r, chosen, kind), kept)

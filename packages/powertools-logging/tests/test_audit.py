from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from powertools.logging import (
    AuditTamperedError,
    AuditTrail,
    ConfigurationError,
    MissingExtraError,
    SigningKey,
    StructuredLogger,
    verify_trail,
)
from powertools.logging._audit import read_policy, verify_records
from powertools.logging.testing import MemorySink


def _trail(folder: Path, n: int = 10, every: int = 5, key: SigningKey | None = None) -> AuditTrail:
    trail = AuditTrail(
        folder / "a.audit",
        signing_key=key,
        checkpoint_every=every,
        origin="test",
        clock=lambda: 1.0,
    )
    for i in range(n):
        trail.append("update", actor=f"user{i}", resource=f"doc/{i}", note=f"v{i}")
    return trail


def _lines(trail: AuditTrail) -> list[bytes]:
    return trail.path.read_bytes().splitlines(keepends=True)


def _write(trail: AuditTrail, lines: list[bytes]) -> None:
    trail.path.write_bytes(b"".join(lines))


def _expect(trail: AuditTrail, kind: str, seq: int) -> None:
    with pytest.raises(AuditTamperedError) as caught:
        trail.verify()
    assert (caught.value.kind, caught.value.seq) == (kind, seq), str(caught.value)


def test_intact_trail_verifies_with_signed_checkpoints(tmp_path: Path) -> None:
    trail = _trail(tmp_path, key=SigningKey.generate())
    result = trail.verify()
    assert (result.records, result.checkpoints, result.signed) == (10, 2, True)


def test_edited_record_is_named(tmp_path: Path) -> None:
    trail = _trail(tmp_path)
    lines = _lines(trail)
    lines[3] = lines[3].replace(b"user3", b"mallory")
    _write(trail, lines)
    _expect(trail, "edited", 4)


def test_removed_record_is_named(tmp_path: Path) -> None:
    trail = _trail(tmp_path)
    lines = _lines(trail)
    del lines[6]
    _write(trail, lines)
    _expect(trail, "removed", 7)


def test_reordered_records_are_named(tmp_path: Path) -> None:
    trail = _trail(tmp_path)
    lines = _lines(trail)
    lines[2], lines[5] = lines[5], lines[2]
    _write(trail, lines)
    _expect(trail, "reordered", 3)


def test_truncated_tail_is_caught_by_the_checkpoint(tmp_path: Path) -> None:
    trail = _trail(tmp_path)
    _write(trail, _lines(trail)[:8])
    _expect(trail, "truncated", 9)


def test_torn_last_record_is_truncation(tmp_path: Path) -> None:
    trail = _trail(tmp_path, n=3, every=100)
    lines = _lines(trail)
    lines[-1] = lines[-1][:20]
    _write(trail, lines)
    _expect(trail, "truncated", 3)


def test_rewritten_chain_is_caught_by_the_checkpoint(tmp_path: Path) -> None:
    trail = _trail(tmp_path)
    # an attacker who edits record 2 and recomputes every hash after it
    forged = AuditTrail(
        tmp_path / "forged.audit", checkpoint_every=1000, origin="test", clock=lambda: 1.0
    )
    for i in range(10):
        forged.append(
            "update", actor="mallory" if i == 1 else f"user{i}", resource=f"doc/{i}", note=f"v{i}"
        )
    trail.path.write_bytes(forged.path.read_bytes())
    _expect(trail, "rewritten", 5)


def test_forged_checkpoint_is_caught(tmp_path: Path) -> None:
    trail = _trail(tmp_path, key=SigningKey.generate())
    text = trail.checkpoint_path.read_text()
    trail.checkpoint_path.write_text(text.replace('"signature": "', '"signature": "00', 1))
    _expect(trail, "forged-checkpoint", 5)
    other = SigningKey.generate().public_key().raw()
    trail.checkpoint_path.write_text(text)
    with pytest.raises(AuditTamperedError, match="signature"):
        trail.verify(public_key=other)


def test_malformed_line(tmp_path: Path) -> None:
    trail = _trail(tmp_path, n=2, every=100)
    _write(trail, [b"garbage\n", *_lines(trail)])
    _expect(trail, "malformed", 1)


def test_trail_resumes_its_chain_and_drops_a_torn_write(tmp_path: Path) -> None:
    trail = _trail(tmp_path, n=3, every=100)
    trail.close()
    with open(trail.path, "ab") as f:
        f.write(b"4\tdeadbeef")  # a write cut short by a crash
    again = AuditTrail(tmp_path / "a.audit", checkpoint_every=100, origin="test")
    assert again.append("read", actor="x", resource="y").seq == 4
    assert again.verify().records == 4
    again.close()


def test_signing_key_file_is_private_and_hidden(tmp_path: Path) -> None:
    key = SigningKey.from_file(tmp_path / "k" / "audit.ed25519")
    assert (tmp_path / "k" / "audit.ed25519").stat().st_mode & 0o077 == 0
    again = SigningKey.from_file(tmp_path / "k" / "audit.ed25519")
    assert again.public_key().raw() == key.public_key().raw()
    assert repr(key) == "SigningKey(<hidden>)"


def test_logger_audit_logs_the_event_too(tmp_path: Path) -> None:
    sink = MemorySink()
    log = StructuredLogger("aud", sinks=[sink])
    record = log.audit(
        "security_event",
        action="create_pr",
        resource="repo/x",
        actor="u1",
        api_key="sk-abcdefghijklmnopqrstuvwxyz",
    )
    assert record.body["api_key"] == "[REDACTED]"
    (event,) = sink.events
    assert event["audit_seq"] == 1
    assert event["actor"] == "u1"
    log.close()
    assert log.audit_trail.verify().signed


mutations = st.sampled_from(["edit", "delete", "swap", "truncate", "duplicate"])


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(kind=mutations, n=st.integers(5, 30), where=st.integers(0, 1000), byte=st.integers(0, 255))
def test_any_mutation_is_detected(tmp_path: Path, kind: str, n: int, where: int, byte: int) -> None:
    folder = tmp_path / f"{kind}-{n}-{where}-{byte}"
    trail = _trail(folder, n=n, every=4)
    trail.close()
    lines = _lines(trail)
    i = where % len(lines)
    if kind == "edit":
        line = bytearray(lines[i])
        pos = where % (len(line) - 1)
        if line[pos] == byte or byte == 10:
            byte = (line[pos] + 1) % 256 or 1
        if byte == 10:
            byte = 11
        line[pos] = byte
        lines[i] = bytes(line)
    elif kind == "delete":
        del lines[i]
    elif kind == "swap":
        j = (i + 1 + where // 7) % len(lines)
        if i == j:
            j = (i + 1) % len(lines)
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "truncate":
        lines = lines[:i]
    else:
        lines.insert(i, lines[i])
    data = b"".join(lines)
    checkpoints = {
        int(c.split(b'"seq": ')[1].split(b",")[0]): c.split(b'"hash": "')[1][:64]
        for c in trail.checkpoint_path.read_bytes().splitlines()
    }
    with pytest.raises(AuditTamperedError):
        verify_records(data, checkpoints)


def test_loggers_of_one_name_share_one_trail() -> None:
    first, second = StructuredLogger("same", sinks=[]), StructuredLogger("same", sinks=[])
    first.audit("e", action="a", resource="r", actor="x")
    second.audit("e", action="a", resource="r", actor="y")
    assert first.audit_trail is second.audit_trail
    assert first.audit_trail.verify().records == 2


def _signed(tmp_path: Path, n: int = 25) -> tuple[AuditTrail, bytes]:
    key = SigningKey.generate()
    trail = AuditTrail(tmp_path / "s.audit", signing_key=key, checkpoint_every=10)
    for i in range(n):
        trail.append("update", actor=f"user{i}", resource=f"doc/{i}")
    trail.close()
    return trail, key.public_key().raw()


def _withheld(trail: AuditTrail, public: bytes | None, seq: int) -> None:
    with pytest.raises(AuditTamperedError) as caught:
        verify_trail(trail.path, public_key=public)
    assert (caught.value.kind, caught.value.seq) == ("withheld-checkpoint", seq), str(caught.value)


def test_a_removed_or_emptied_checkpoint_file_is_detected(tmp_path: Path) -> None:
    trail, public = _signed(tmp_path)
    assert verify_trail(trail.path, public_key=public).checkpoints == 3  # 10, 20 and the close
    saved = trail.checkpoint_path.read_bytes()
    trail.checkpoint_path.unlink()
    _withheld(trail, public, 25)  # before: checkpoints=0, signed=True, and it passed
    _withheld(trail, None, 25)  # without the key too: the trail itself says it is signed
    trail.checkpoint_path.write_bytes(b"")
    _withheld(trail, public, 25)
    lines = saved.splitlines(keepends=True)
    trail.checkpoint_path.write_bytes(lines[0] + lines[2])  # the checkpoint of 20 withheld
    _withheld(trail, public, 20)


def test_the_policy_is_in_the_trail_and_a_resumed_trail_keeps_it(tmp_path: Path) -> None:
    trail, _ = _signed(tmp_path, n=3)
    assert read_policy(trail.path) == {"checkpoint_every": 10, "signed": True}
    result = verify_trail(trail.path)
    assert (result.signed, result.signed_trail) == (False, True)
    with pytest.raises(ConfigurationError, match="is signed"):
        AuditTrail(trail.path)  # appending unsigned checkpoints would break verification
    again = AuditTrail(trail.path, signing_key=_key_of(trail), checkpoint_every=1000)
    assert again._every == 10


def _key_of(trail: AuditTrail) -> SigningKey:
    assert trail._key is not None
    return trail._key


def test_a_cut_back_trail_is_caught_against_a_kept_checkpoint(tmp_path: Path) -> None:
    trail, public = _signed(tmp_path)
    lines = trail.path.read_bytes().splitlines(keepends=True)
    trail.path.write_bytes(b"".join(lines[:12]))  # cut to 12 records, checkpoints after 10 gone
    kept = trail.checkpoint_path.read_bytes().splitlines(keepends=True)
    trail.checkpoint_path.write_bytes(kept[0])
    assert verify_trail(trail.path, public_key=public).records == 12  # undetectable alone
    with pytest.raises(AuditTamperedError) as caught:
        verify_trail(trail.path, public_key=public, at_least=25)
    assert caught.value.kind == "truncated"


def test_without_the_audit_extra_the_trail_says_once_it_is_unsigned(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from powertools.logging import _audit_keys, _logger

    def missing() -> object:
        raise MissingExtraError("audit checkpoint signing", "audit")

    monkeypatch.setattr(_audit_keys, "_ed25519", missing)
    monkeypatch.setattr(_logger, "_SAID", set())
    StructuredLogger("u1", sinks=[]).audit("x", action="a", resource="r", actor="me")
    StructuredLogger("u2", sinks=[]).audit("x", action="a", resource="r", actor="me")
    err = capsys.readouterr().err
    assert err.count("audit trails are NOT signed") == 1
    assert "powertools-logging[audit]" in err


def test_the_signing_key_is_kept_apart_from_the_trails(
    data_folder: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from powertools.logging import _logger

    monkeypatch.setattr(_logger, "_SAID", set())
    StructuredLogger("k1", sinks=[]).audit("x", action="a", resource="r", actor="me")
    key = tmp_path / "powertools-keys" / "audit.ed25519"
    assert key.exists()
    assert key.stat().st_mode & 0o077 == 0
    assert key.parent.stat().st_mode & 0o077 == 0
    assert not (data_folder / "keys").exists()  # before: data/keys/audit.ed25519
    assert capsys.readouterr().err == ""


def test_a_key_beside_the_trails_is_warned_about(
    data_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from powertools.logging import _logger

    monkeypatch.setattr(_logger, "_SAID", set())
    monkeypatch.setenv("POWERTOOLS_LOGGING_KEY_DIR", str(data_folder / "keys"))
    StructuredLogger("k2", sinks=[]).audit("x", action="a", resource="r", actor="me")
    err = capsys.readouterr().err
    assert "sits beside the trails it signs" in err
    assert "whoever can edit a trail can re-sign it" in err


def test_a_signing_key_readable_by_others_is_warned_about(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from powertools.logging import _logger

    monkeypatch.setattr(_logger, "_SAID", set())
    key = tmp_path / "powertools-keys" / "audit.ed25519"
    SigningKey.from_file(key)
    key.chmod(0o644)
    StructuredLogger("k3", sinks=[]).audit("x", action="a", resource="r", actor="me")
    StructuredLogger("k4", sinks=[]).audit("x", action="a", resource="r", actor="me")
    err = capsys.readouterr().err
    assert err.count(f"the audit signing key {key} is readable by others: chmod 600 it") == 1


def test_a_checkpoint_cadence_below_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="checkpoint_every must be at least 1, got 0"):
        AuditTrail(tmp_path / "a.audit", checkpoint_every=0)
    assert not (tmp_path / "a.audit").exists()


def _handmade_trail(path: Path, bodies: list[bytes]) -> None:
    """A chained trail written record by record, as an older writer would have."""
    from powertools.logging._audit import GENESIS, _digest

    previous, lines = GENESIS, []
    for seq, body in enumerate(bodies, 1):
        number = str(seq).encode()
        previous = _digest(previous, number, body)
        lines.append(previous + b"\t" + number + b"\t" + body + b"\n")
    path.write_bytes(b"".join(lines))


@pytest.mark.parametrize(
    "first",
    [
        b'{"action":"a","actor":"x","resource":"r"}',  # written before trails stated a policy
        b'{"action":"a","trail_policy":{"checkpoint_every":0,"signed":false}}',  # a bad cadence
    ],
)
def test_a_resumed_trail_without_a_usable_policy_keeps_the_cadence_it_is_given(
    tmp_path: Path, first: bytes
) -> None:
    path = tmp_path / "old.audit"
    _handmade_trail(path, [first, b'{"action":"b"}', b'{"action":"c"}'])
    trail = AuditTrail(path, checkpoint_every=2, origin="test")
    assert trail.append("d", actor="x", resource="r").seq == 4
    assert [json.loads(line)["seq"] for line in trail.checkpoint_path.read_text().splitlines()] == [
        4
    ]
    assert trail.verify().records == 4
    trail.close()


@pytest.mark.parametrize(
    "content",
    [
        b"",  # an empty file
        b"abc\t2\t{}\n",  # its first line is not record 1
        b"abc\t1\tnot json\n",
        b"abc\t1\t[1, 2]\n",  # a record that is not an object
        b'abc\t1\t{"trail_policy": "every 5"}\n',  # a policy that is not an object
    ],
)
def test_a_first_record_that_states_no_policy_reads_as_none(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.audit"
    path.write_bytes(content)
    assert read_policy(path) is None


def test_with_fsync_every_record_is_on_disk_before_append_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    synced: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    trail = AuditTrail(tmp_path / "f.audit", fsync=True, checkpoint_every=1000)
    monkeypatch.setattr(os, "fsync", fsync)
    for n in range(3):
        trail.append("write", actor="x", resource=f"r{n}")
        assert synced.count(trail._fd) == n + 1
    monkeypatch.undo()
    trail.close()
    assert trail.verify().records == 3


def test_open_trails_are_checkpointed_at_exit(tmp_path: Path) -> None:
    from powertools.logging._audit import _checkpoint_all_at_exit

    trails = [_trail(tmp_path / name, n=3, every=1000) for name in ("one", "two")]
    assert not any(t.checkpoint_path.exists() for t in trails)
    _checkpoint_all_at_exit()
    for trail in trails:
        assert json.loads(trail.checkpoint_path.read_text())["seq"] == 3
        assert verify_trail(trail.path).checkpoints == 1
        trail.close()


def test_unsigned_checkpoints_fail_verification_with_a_public_key(tmp_path: Path) -> None:
    trail = _trail(tmp_path, n=3, every=1000)
    trail.close()
    public = SigningKey.generate().public_key().raw()
    with pytest.raises(AuditTamperedError, match="its signature does not verify") as caught:
        verify_trail(trail.path, public_key=public)
    assert (caught.value.kind, caught.value.seq) == ("forged-checkpoint", 3)

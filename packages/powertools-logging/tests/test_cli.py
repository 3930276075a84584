"""``powertools-logging audit verify``: one line and an exit status for every outcome."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from powertools.logging import AuditTrail, SigningKey, _audit_keys, cli
from powertools.logging.errors import MissingExtraError


def _trail(folder: Path, key: SigningKey | None = None, n: int = 10) -> AuditTrail:
    trail = AuditTrail(
        folder / "a.audit", signing_key=key, checkpoint_every=5, origin="t", clock=lambda: 1.0
    )
    for i in range(n):
        trail.append("update", actor=f"user{i}", resource=f"doc/{i}")
    trail.close()
    return trail


def _run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    status = cli.main(["audit", "verify", *map(str, args)])
    out, err = capsys.readouterr()
    return status, out.strip(), err.strip()


def _lines(trail: AuditTrail) -> list[bytes]:
    return trail.path.read_bytes().splitlines(keepends=True)


def test_an_intact_signed_trail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key = SigningKey.generate()
    trail = _trail(tmp_path, key)
    hex_key = key.public_key().raw().hex()
    assert _run(capsys, trail.path, "--public-key", hex_key) == (
        0,
        "OK: 10 records, chain intact, 2 checkpoints verified",
        "",
    )


@pytest.mark.parametrize("form", ["raw", "hex"])
def test_the_public_key_may_be_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    key = SigningKey.generate()
    trail = _trail(tmp_path, key)
    raw = key.public_key().raw()
    (tmp_path / "audit.pub").write_bytes(raw if form == "raw" else raw.hex().encode() + b"\n")
    status, out, _ = _run(capsys, trail.path, "--public-key", tmp_path / "audit.pub")
    assert (status, out) == (0, "OK: 10 records, chain intact, 2 checkpoints verified")


def test_without_a_key_signatures_are_not_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = _trail(tmp_path)
    assert _run(capsys, trail.path)[:2] == (
        0,
        "OK: 10 records, chain intact, 2 checkpoints verified "
        "(signatures not checked: no --public-key)",
    )


def test_checkpoints_elsewhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trail = _trail(tmp_path)
    moved = trail.checkpoint_path.rename(tmp_path / "elsewhere.checkpoints")
    status, out, _ = _run(capsys, trail.path)  # the trail says it checkpoints: one is missing
    assert status == 1
    assert out.startswith("FAILED: checkpoint withheld: the trail holds 10 records but no")
    assert _run(capsys, trail.path, "--checkpoints", moved)[:2] == (
        0,
        "OK: 10 records, chain intact, 2 checkpoints verified "
        "(signatures not checked: no --public-key)",
    )


def _edit(lines: list[bytes]) -> list[bytes]:
    lines[3] = lines[3].replace(b"user3", b"mallory")
    return lines


def _remove(lines: list[bytes]) -> list[bytes]:
    del lines[6]
    return lines


def _swap(lines: list[bytes]) -> list[bytes]:
    lines[2], lines[5] = lines[5], lines[2]
    return lines


def _move_back(lines: list[bytes]) -> list[bytes]:
    lines.insert(5, lines.pop(1))  # record 2 now follows record 6
    return lines


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (_edit, "FAILED: record 4 (line 4) edited: its content does not match its hash"),
        (_remove, "FAILED: record 7 (line 7) removed: record 8 follows 6"),
        (_swap, "FAILED: record 3 (line 3) reordered: record 6 appears before it"),
        (_move_back, "FAILED: record 2 (line 2) reordered: record 3 appears before it"),
        (
            lambda lines: lines[:8],
            "FAILED: record 9 (line 9) truncated: a checkpoint covers 10 records, 8 remain",
        ),
        (
            lambda lines: [*lines[:-1], lines[-1][:30]],
            "FAILED: record 10 (line 10) truncated: the last record is incomplete",
        ),
        (
            lambda lines: [b"garbage\n", *lines],
            "FAILED: record 1 (line 1) malformed: the line is not hash, seq, record",
        ),
    ],
)
def test_a_tampered_trail_names_the_first_bad_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tamper: object, expected: str
) -> None:
    trail = _trail(tmp_path)
    trail.path.write_bytes(b"".join(tamper(_lines(trail))))  # type: ignore[operator]
    assert _run(capsys, trail.path) == (1, expected, "")


def test_a_reordered_record_seen_late_is_named_by_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = _trail(tmp_path)
    lines = _lines(trail)
    lines[3:5] = [lines[2], lines[4]]  # record 3 again where record 4 was
    trail.path.write_bytes(b"".join(lines))
    status, out, _ = _run(capsys, trail.path)
    assert (status, out) == (1, "FAILED: record 3 (line 4) reordered: record 3 appears after 3")


def test_a_rewritten_chain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trail = _trail(tmp_path)
    forged = AuditTrail(tmp_path / "f.audit", checkpoint_every=1000, origin="t", clock=lambda: 1.0)
    for i in range(10):
        forged.append("update", actor="mallory" if i == 1 else f"user{i}", resource=f"doc/{i}")
    trail.path.write_bytes(forged.path.read_bytes())
    assert _run(capsys, trail.path)[:2] == (
        1,
        "FAILED: record 5 (line 5) rewritten: the chain differs from its checkpoint",
    )


def test_a_checkpoint_signed_by_another_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = _trail(tmp_path, SigningKey.generate())
    other = SigningKey.generate().public_key().raw().hex()
    assert _run(capsys, trail.path, "--public-key", other)[:2] == (
        1,
        "FAILED: the checkpoint of record 5: bad signature (its signature does not verify)",
    )


def test_a_checkpoint_line_that_is_not_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = _trail(tmp_path)
    with open(trail.checkpoint_path, "a") as out:
        out.write(json.dumps({"seq": "x"}) + "\n")
    assert _run(capsys, trail.path)[:2] == (
        1,
        f"FAILED: line 3 of {trail.checkpoint_path} is not a checkpoint",
    )


def test_bad_input_exits_2_with_a_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = _trail(tmp_path)
    key = "ab" * 32
    (tmp_path / "short.pub").write_bytes(b"not a key")
    cases = {
        "no audit trail at": [tmp_path / "missing.audit"],
        "no checkpoint file at": [trail.path, "--checkpoints", tmp_path / "none"],
        "is neither 64 hex digits nor a file": [trail.path, "--public-key", "abc"],
        "holds neither 64 hex digits nor the 32 raw bytes": [
            trail.path,
            "--public-key",
            tmp_path / "short.pub",
        ],
        "Is a directory": [trail.path, "--checkpoints", tmp_path],
    }
    for reason, args in cases.items():
        status, out, err = _run(capsys, *args)
        assert (status, out) == (2, ""), reason
        assert err.startswith("powertools-logging: ")
        assert reason in err
    trail.checkpoint_path.unlink()  # the key is right, the checkpoints are gone: tampered
    status, out, _ = _run(capsys, trail.path, "--public-key", key)
    assert status == 1
    assert out.startswith("FAILED: checkpoint withheld:")


def test_a_missing_extra_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    trail = _trail(tmp_path)

    def missing() -> object:
        raise MissingExtraError("audit checkpoint signing", "audit")

    monkeypatch.setattr(_audit_keys, "_ed25519", missing)
    status, _, err = _run(capsys, trail.path, "--public-key", "ab" * 32)
    assert status == 2
    assert "powertools-logging[audit]" in err


def test_usage_errors_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["audit"]) == 2
    assert "required" in capsys.readouterr().err
    assert cli.main(["--help"]) == 0
    assert "audit" in capsys.readouterr().out


def test_a_delegating_command_names_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["audit", "verify", str(tmp_path / "none")], prog="powertools logging") == 2
    assert capsys.readouterr().err.startswith("powertools logging: no audit trail at")
    assert cli.main(["nope"], prog="powertools logging") == 2
    assert capsys.readouterr().err.startswith("usage: powertools logging")


def test_python_dash_m_runs_it(tmp_path: Path) -> None:
    trail = _trail(tmp_path)
    command = [sys.executable, "-m", "powertools.logging", "audit", "verify", str(trail.path)]
    ok = subprocess.run(command, capture_output=True, text=True, check=False)
    assert (ok.returncode, ok.stdout.split(",")[0]) == (0, "OK: 10 records")
    trail.path.write_bytes(b"".join(_edit(_lines(trail))))
    bad = subprocess.run(command, capture_output=True, text=True, check=False)
    assert (bad.returncode, bad.stdout.split(":")[0]) == (1, "FAILED")


def test_the_module_and_the_console_script_run_main(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (script,) = metadata.entry_points(group="console_scripts", name="powertools-logging")
    assert script.load() is cli.main
    monkeypatch.setattr(sys, "argv", ["powertools-logging", "audit", "verify", str(tmp_path)])
    with pytest.raises(SystemExit) as stop:
        runpy.run_module("powertools.logging", run_name="__main__")
    assert stop.value.code == 2


def test_the_private_key_given_as_the_public_one_is_bad_input_not_tampering(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = SigningKey.from_file(tmp_path / "keys" / "audit.ed25519")
    trail = _trail(tmp_path, key)
    status, out, err = _run(capsys, trail.path, "--public-key", tmp_path / "keys" / "audit.ed25519")
    assert (status, out) == (2, "")
    assert "is the private signing key, not its public half" in err
    # a private key that did not sign them is just a wrong key
    (tmp_path / "other.ed25519").write_bytes(SigningKey.generate()._raw())
    status, out, _ = _run(capsys, trail.path, "--public-key", tmp_path / "other.ed25519")
    assert (status, out.split(":")[1]) == (1, " the checkpoint of record 5")


def test_a_signed_trail_checked_without_its_key_says_to_pass_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = _trail(tmp_path, SigningKey.generate())
    assert _run(capsys, trail.path)[:2] == (
        0,
        "OK: 10 records, chain intact, 2 checkpoints verified "
        "(this trail is signed: pass --public-key to check its signatures)",
    )

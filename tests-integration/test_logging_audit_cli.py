"""`powertools-logging audit verify` on a logger's own trail and on a trail large enough to be
checked by worker processes, run as the installed commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from powertools.logging import SigningKey, StructuredLogger
from powertools.logging._audit import GENESIS, _digest
from powertools.logging._audit_parallel import PARALLEL_BYTES, ParallelCheck


def _command(*args: str | Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("powertools-logging")
    return subprocess.run(
        [str(script), "audit", "verify", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_loggers_own_trail_verifies_with_its_public_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_LOGGING_DIR", str(tmp_path))
    monkeypatch.setenv("POWERTOOLS_LOGGING_KEY_DIR", str(tmp_path.parent / f"{tmp_path.name}-keys"))
    log = StructuredLogger("billing", sinks=[])
    for n in range(30):
        log.audit("charge", action="charge", resource=f"invoice/{n}", actor="u1", amount=n)
    log.close()
    trail = tmp_path / "audit" / "billing.audit"
    checkpoints = tmp_path / "audit-checkpoints" / "billing.checkpoints"
    key_file = tmp_path.parent / f"{tmp_path.name}-keys" / "audit.ed25519"  # apart from the trail
    key = SigningKey.from_file(key_file, create=False)
    public = key.public_key().raw().hex()

    ok = _command(trail, "--checkpoints", checkpoints, "--public-key", public)
    assert (ok.returncode, ok.stdout) == (
        0,
        "OK: 30 records, chain intact, 1 checkpoints verified\n",
    )

    lines = trail.read_bytes().splitlines(keepends=True)
    lines[16] = lines[16].replace(b'"amount":16', b'"amount":1600')
    trail.write_bytes(b"".join(lines))
    bad = _command(trail, "--checkpoints", checkpoints, "--public-key", public)
    assert bad.returncode == 1
    assert bad.stdout == "FAILED: record 17 (line 17) edited: its content does not match its hash\n"

    lines[16] = lines[16].replace(b'"amount":1600', b'"amount":16')
    trail.write_bytes(b"".join(lines))  # intact again, but its checkpoints are not beside it:
    missing = _command(trail, "--public-key", public)  # the key is right, the checkpoints
    assert missing.returncode == 1  # missing: tampered (before: 2, as if the input were bad)
    assert missing.stdout.startswith("FAILED: checkpoint withheld: the trail holds 30 records")


def _large_trail(path: Path, key: SigningKey) -> int:
    prev, chunks, checkpoints, n = GENESIS, [], [], 0
    while sum(map(len, chunks)) < 2 * PARALLEL_BYTES:
        for _ in range(10_000):
            n += 1
            seq = str(n).encode()
            body = b'{"action":"update","actor":"user%d","resource":"doc/%d"}' % (n % 7, n)
            prev = _digest(prev, seq, body)
            chunks.append(prev + b"\t" + seq + b"\t" + body + b"\n")
        signature = key.sign(b"%d\t%s" % (n, prev)).hex()
        checkpoints.append(json.dumps({"seq": n, "hash": prev.decode(), "signature": signature}))
    path.write_bytes(b"".join(chunks))
    Path(f"{path}.checkpoints").write_text("\n".join(checkpoints) + "\n")
    return n


def test_a_large_trail_is_checked_by_workers_and_tampering_still_named(tmp_path: Path) -> None:
    key, path = SigningKey.generate(), tmp_path / "large.audit"
    records = _large_trail(path, key)
    public = key.public_key().raw().hex()
    command = [sys.executable, "-m", "powertools.logging", "audit", "verify", str(path)]
    ok = subprocess.run(
        [*command, "--public-key", public], capture_output=True, text=True, check=False
    )
    checkpoints = records // 10_000
    digests = {
        (n + 1) * 10_000: line[:64]
        for n, line in enumerate(path.read_bytes().splitlines()[9_999::10_000])
    }
    workers = ParallelCheck(path, path.stat().st_size, digests, 2)
    assert workers.result() == records  # confirmed by the workers, not by the fallback
    workers.close()
    expected = f"OK: {records} records, chain intact, {checkpoints} checkpoints verified\n"
    assert (ok.returncode, ok.stdout) == (0, expected)

    lines = path.read_bytes().splitlines(keepends=True)
    del lines[records - 5]  # near the end: in the last worker's range
    path.write_bytes(b"".join(lines))
    bad = subprocess.run(
        [*command, "--public-key", public], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 1
    removed = records - 4
    follows = f"record {removed + 1} follows {removed - 1}"
    assert bad.stdout == f"FAILED: record {removed} (line {removed}) removed: {follows}\n"

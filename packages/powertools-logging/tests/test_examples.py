"""Every example runs and prints what its docs say."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"


def _run(name: str, data: Path) -> str:
    env = {
        **os.environ,
        "POWERTOOLS_LOGGING_DIR": str(data),
        "POWERTOOLS_LOGGING_KEY_DIR": str(data.parent / f"{data.name}-keys"),
    }
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_example_runs(name: str, tmp_path: Path) -> None:
    assert _run(name, tmp_path)


def test_quickstart_output(tmp_path: Path) -> None:
    before = datetime.now(UTC)
    out = _run("quickstart.py", tmp_path)
    after = datetime.now(UTC)
    # the example logs with the real clock: its event is in January 2026 only if the run was
    in_january = {(t.year, t.month) for t in (before, after)} == {(2026, 1)}
    assert out.splitlines() == [
        f"Found {int(in_january)} GPT-4 calls in January",
        "Latest call: gpt-4 for user123",
    ]


def test_audit_example_detects_the_edit(tmp_path: Path) -> None:
    assert _run("audit_trail.py", tmp_path).splitlines()[-1] == "detected: edited record 7"


def test_file_example(tmp_path: Path) -> None:
    out = _run("file_and_metrics.py", tmp_path).splitlines()
    assert out[0] == "llm_call: 50 calls"
    assert out[1].startswith("50 timed calls on file")


def test_audit_cli_example(tmp_path: Path) -> None:
    assert _run("audit_verify_cli.py", tmp_path).splitlines() == [
        "OK: 25 records, chain intact, 3 checkpoints verified",
        "exit 0",
        "FAILED: record 12 (line 12) removed: record 13 follows 11",
        "exit 1",
    ]

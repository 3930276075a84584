"""Every example runs and prints what its docs say."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"


# Runs an example with every StructuredLogger's default clock pinned to the timestamp in argv[1].
PINNED = """
import runpy, sys
from powertools.logging import StructuredLogger
at = float(sys.argv.pop(1))
StructuredLogger.__init__.__kwdefaults__["clock"] = lambda: at
sys.argv[0] = sys.argv[1]
runpy.run_path(sys.argv.pop(1), run_name="__main__")
"""


def _run(name: str, data: Path, at: datetime | None = None) -> str:
    env = {
        **os.environ,
        "POWERTOOLS_LOGGING_DIR": str(data),
        "POWERTOOLS_LOGGING_KEY_DIR": str(data.parent / f"{data.name}-keys"),
    }
    pinned = [] if at is None else ["-c", PINNED, str(at.timestamp())]
    return subprocess.run(
        [sys.executable, *pinned, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_example_runs(name: str, tmp_path: Path) -> None:
    assert _run(name, tmp_path)


@pytest.mark.parametrize(
    ("at", "found"),
    [(datetime(2026, 1, 15, 12, tzinfo=UTC), 1), (datetime(2026, 3, 2, 9, tzinfo=UTC), 0)],
)
def test_quickstart_output(tmp_path: Path, at: datetime, found: int) -> None:
    # the example's query asks for January 2026: the clock is pinned on either side of it
    out = _run("quickstart.py", tmp_path, at)
    assert out.splitlines() == [
        f"Found {found} GPT-4 calls in January",
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

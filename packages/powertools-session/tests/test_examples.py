"""Every script in examples/ runs and prints what it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).parent.parent / "examples"


def run(name: str, session_dir: Path) -> str:
    env = {**os.environ, "POWERTOOLS_SESSION_DIR": str(session_dir)}
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name)], env=env, capture_output=True, text=True, check=True
    ).stdout


def test_quickstart_runs_twice(session_dir: Path) -> None:
    first = run("quickstart.py", session_dir)
    assert first.splitlines() == [
        "{'id': 123, 'role': 'admin'}",
        "['project-abc', 'project-abc.backup']",
    ]
    assert run("quickstart.py", session_dir) == first


def test_async_and_conflicts(session_dir: Path) -> None:
    out = run("async_and_conflicts.py", session_dir).splitlines()
    assert out == [
        "['message 0', 'message 1', 'message 2']",
        "conflict: 0 -> 1",
        "{'owner': 'first', 'log': ['from first', 'from third']}",
    ]


def test_encrypted_backup(session_dir: Path) -> None:
    out = run("encrypted_backup.py", session_dir)
    assert out.strip() == (
        "{'api_notes': {'service': 'billing', 'token_hint': 'ends in 4f2a'}, 'rotated': True}"
    )

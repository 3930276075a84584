"""Writers in several processes on one session: every update lands or is reported, none is lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from powertools.session import Session

WRITER = """
import sys
from powertools.session import ConflictError, Session
store, writer, count, policy = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
session = Session("shared", store=store, on_conflict=policy)
conflicts = 0
for i in range(count):
    while True:
        try:
            session.append("log", f"{writer}-{i}")
            break
        except ConflictError:  # reported, never silent: reload and try again
            conflicts += 1
            session.reload()
print(conflicts)
"""


def run_writers(store: str, writers: int, count: int) -> int:
    """Start ``writers`` processes appending ``count`` items each; return the conflicts seen."""
    policies = ["raise", "last-writer-wins"]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, store, f"w{n}", str(count), policies[n % 2]],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(writers)
    ]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    return sum(int(out) for out in outs)


@pytest.mark.slow
def test_processes_appending_to_one_file_session_lose_nothing(tmp_path: Path) -> None:
    store = tmp_path.as_uri() + "?journal_limit=2048"
    run_writers(store, writers=4, count=40)
    log = Session("shared", store=store).get("log")
    assert sorted(log) == sorted(f"w{n}-{i}" for n in range(4) for i in range(40))
    for n in range(4):  # each writer's own items stay in its order
        mine = [item for item in log if item.startswith(f"w{n}-")]
        assert mine == [f"w{n}-{i}" for i in range(40)]

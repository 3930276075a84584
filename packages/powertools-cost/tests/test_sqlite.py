"""The SQLite ledger's own behaviour: a locked or damaged database is a LedgerError, rolled back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from powertools.cost import LedgerError
from powertools.cost.backends.sqlite import SQLiteLedger


def test_a_database_locked_by_another_process_is_a_ledger_error(tmp_path: Path) -> None:
    path = tmp_path / "cost.db"
    ledger = SQLiteLedger(path, timeout=0.0)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process is writing, and does not finish
    try:
        with pytest.raises(LedgerError, match=rf"the SQLite ledger at {path} failed: .*locked"):
            ledger.reserve_sync("k", 100, 10, "r", expires_at=60.0, now=0.0)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert ledger.reserve_sync("k", 100, 10, "r", expires_at=60.0, now=0.0)  # usable again
    ledger.close()


def test_a_damaged_database_fails_the_commit_and_rolls_it_back(tmp_path: Path) -> None:
    path = tmp_path / "cost.db"
    ledger = SQLiteLedger(path)
    assert ledger.reserve_sync("k", 100, 10, "r", expires_at=60.0, now=0.0)
    with sqlite3.connect(path) as damage:
        damage.execute("DROP TABLE budget_spent")
    with pytest.raises(LedgerError, match="no such table: budget_spent"):
        ledger.commit_sync("k", "r", 10)  # fails after it had dropped the hold
    with sqlite3.connect(path) as db:
        holds = db.execute("SELECT rid, amount FROM budget_holds").fetchall()
    assert holds == [("r", "10")]  # rolled back: the hold is still there
    ledger.close()

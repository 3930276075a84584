"""The SQLite ledger: embedded and persistent; several processes may share one file.

Every change runs in a ``BEGIN IMMEDIATE`` transaction, so SQLite's write lock serialises
reservations across threads and processes. Amounts are stored as decimal text of
femto-dollars (exact beyond SQLite's 64-bit integers).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from powertools.cost._ledger import ThreadedLedger
from powertools.cost._records import CallRecord
from powertools.cost.errors import LedgerError

__all__ = ["SQLiteLedger"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS budget_spent (key TEXT PRIMARY KEY, spent TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS budget_holds (
    key TEXT NOT NULL, rid TEXT NOT NULL, amount TEXT NOT NULL, expires_at REAL NOT NULL,
    PRIMARY KEY (key, rid));
CREATE TABLE IF NOT EXISTS budget_alerts (
    key TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (key, name));
CREATE TABLE IF NOT EXISTS calls (id TEXT PRIMARY KEY, at REAL NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS calls_at ON calls (at);
"""


class SQLiteLedger(ThreadedLedger):
    """A ledger in one SQLite file (``sqlite:///path/to/cost.db``).

    >>> ledger = SQLiteLedger(":memory:")
    >>> ledger.reserve_sync("k", 10, 7, "a", expires_at=5.0, now=0.0)
    True
    >>> ledger.totals_sync("k", now=6.0)  # the hold expired
    (0, 0)
    """

    offload = True

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open the SQLite ledger at {self.path}: {exc}") from exc
        self._lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> SQLiteLedger:
        """``sqlite:///relative.db``, ``sqlite:////absolute.db`` or ``sqlite://:memory:``."""
        path = url.partition("://")[2]
        return cls(path[1:] if path.startswith("/") else path)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:  # locked past the timeout, a damaged file, a full disk
                raise LedgerError(f"the SQLite ledger at {self.path} failed: {exc}") from exc

    @staticmethod
    def _totals(db: sqlite3.Connection, key: str, now: float) -> tuple[int, int]:
        db.execute("DELETE FROM budget_holds WHERE key = ? AND expires_at <= ?", (key, now))
        row = db.execute("SELECT spent FROM budget_spent WHERE key = ?", (key,)).fetchone()
        holds = db.execute("SELECT amount FROM budget_holds WHERE key = ?", (key,)).fetchall()
        return (int(row[0]) if row else 0), sum(int(h[0]) for h in holds)

    def reserve_sync(
        self, key: str, limit_fd: int, amount_fd: int, rid: str, *, expires_at: float, now: float
    ) -> bool:
        with self._tx() as db:
            spent, held = self._totals(db, key, now)
            if spent + held + amount_fd > limit_fd:
                return False
            db.execute(
                "INSERT OR REPLACE INTO budget_holds VALUES (?, ?, ?, ?)",
                (key, rid, str(amount_fd), expires_at),
            )
            return True

    def commit_sync(self, key: str, rid: str, amount_fd: int) -> int:
        with self._tx() as db:
            db.execute("DELETE FROM budget_holds WHERE key = ? AND rid = ?", (key, rid))
            row = db.execute("SELECT spent FROM budget_spent WHERE key = ?", (key,)).fetchone()
            spent = (int(row[0]) if row else 0) + amount_fd
            db.execute("INSERT OR REPLACE INTO budget_spent VALUES (?, ?)", (key, str(spent)))
            return spent

    def release_sync(self, key: str, rid: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM budget_holds WHERE key = ? AND rid = ?", (key, rid))

    def extend_sync(self, key: str, rid: str, *, expires_at: float, now: float) -> bool:
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE budget_holds SET expires_at = ? WHERE key = ? AND rid = ? "
                "AND expires_at > ?",
                (expires_at, key, rid, now),
            )
            return cursor.rowcount == 1

    def totals_sync(self, key: str, now: float) -> tuple[int, int]:
        with self._tx() as db:
            return self._totals(db, key, now)

    def first_alert_sync(self, key: str, name: str) -> bool:
        with self._tx() as db:
            cursor = db.execute("INSERT OR IGNORE INTO budget_alerts VALUES (?, ?)", (key, name))
            return cursor.rowcount == 1

    def append_sync(self, record: CallRecord) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO calls VALUES (?, ?, ?)",
                (record.id, record.at, json.dumps(record.as_dict())),
            )

    def records_sync(self, since: float | None = None) -> list[CallRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM calls WHERE at >= ? ORDER BY at, id",
                (since if since is not None else float("-inf"),),
            ).fetchall()
        return [CallRecord.from_dict(json.loads(r[0])) for r in rows]

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

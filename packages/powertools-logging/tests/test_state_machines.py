"""Stateful properties: the audit trail and the rotating file under any sequence of operations."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from powertools.logging import AuditTrail, Query, SigningKey, StructuredLogger
from powertools.logging.sinks.file import FileSink

KEY = SigningKey.generate()


class AuditTrailMachine(RuleBasedStateMachine):
    """Appends, checkpoints and reopenings never break verification or the sequence."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp())
        self.count = 0
        self.trail = self._open()

    def _open(self) -> AuditTrail:
        return AuditTrail(
            self.folder / "t.audit",
            signing_key=KEY,
            checkpoint_every=3,
            origin="m",
            clock=lambda: 1.0,
        )

    @rule(actor=st.sampled_from(["ada", "bob", "sk-abcdefghijklmnopqrstu"]))
    def append(self, actor: str) -> None:
        record = self.trail.append("act", actor=actor, resource="r")
        self.count += 1
        assert record.seq == self.count
        assert "sk-" not in str(record.body)

    @rule()
    def checkpoint(self) -> None:
        self.trail.checkpoint()

    @rule()
    def reopen(self) -> None:
        self.trail.close()
        self.trail = self._open()

    @invariant()
    def verifies(self) -> None:
        result = self.trail.verify(public_key=KEY.public_key().raw())
        assert result.records == self.count

    def teardown(self) -> None:
        self.trail.close()
        shutil.rmtree(self.folder, ignore_errors=True)


class RotatingFileMachine(RuleBasedStateMachine):
    """Whatever the writes and the passing of time, no event is lost or reordered."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp())
        self.now = 1_767_225_600.0
        self.sink = FileSink(
            self.folder / "a.jsonl", max_bytes=600, interval=50, clock=lambda: self.now
        )
        self.log = StructuredLogger("m", sinks=[self.sink], clock=lambda: self.now)
        self.written = 0

    @rule(padding=st.integers(0, 300))
    def write(self, padding: int) -> None:
        self.log.info("e", n=self.written, pad="x" * padding)
        self.written += 1

    @rule(seconds=st.floats(0, 100))
    def wait(self, seconds: float) -> None:
        self.now += seconds

    @precondition(lambda self: self.written > 0)
    @rule()
    def flush(self) -> None:
        self.sink.flush()

    @invariant()
    def nothing_lost(self) -> None:
        found = self.sink.query(Query.build(limit=10_000))
        assert [e["n"] for e in found] == list(range(self.written))

    def teardown(self) -> None:
        self.sink.close()
        shutil.rmtree(self.folder, ignore_errors=True)


TestAuditTrail = AuditTrailMachine.TestCase
TestAuditTrail.settings = settings(max_examples=25, stateful_step_count=15, deadline=None)
TestRotatingFile = RotatingFileMachine.TestCase
TestRotatingFile.settings = settings(max_examples=25, stateful_step_count=20, deadline=None)

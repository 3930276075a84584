"""The audit trail: append-only records chained by SHA-256, with Ed25519-signed checkpoints
kept in a separate file.

Each line is ``sha256<TAB>seq<TAB>json``, where ``sha256 = SHA-256(previous hash, TAB seq TAB
json)``: the hashed bytes after the previous hash are the line's own bytes after its hash, so
verification is one slice and one hash per record, with no JSON parsing, and any byte range can
be checked on its own (a large trail is checked on every core: ``_audit_parallel``). A checkpoint
(``seq``, ``hash``, signature) is written every ``checkpoint_every`` records and on close; it
catches what a chain alone cannot: a truncated tail, or a chain recomputed after an edit.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import socket
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from powertools.logging import _audit_parallel
from powertools.logging._audit_chain import GENESIS, first_break, read_range
from powertools.logging._audit_chain import HASH as _HASH
from powertools.logging._audit_keys import PublicKey, SigningKey, load_public_key
from powertools.logging._audit_parallel import ParallelCheck, cpu_count
from powertools.logging._redact import redact_value
from powertools.logging.errors import AuditTamperedError, ConfigurationError

__all__ = [
    "GENESIS",
    "AuditRecord",
    "AuditTrail",
    "AuditVerification",
    "verify_records",
    "verify_trail",
]

_OPEN: weakref.WeakSet[AuditTrail] = weakref.WeakSet()
_TAIL_READ = 1 << 16
POLICY = "trail_policy"  # the first record's field: {"checkpoint_every": N, "signed": bool}


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One appended audit record: its position, its chain hash and what it says."""

    seq: int
    hash: str
    body: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """The result of a successful :meth:`AuditTrail.verify`.

    ``signed``: the checkpoints' signatures were checked. ``signed_trail``: the trail's first
    record says it is signed (so verify it with its public key to check the signatures).
    """

    records: int
    checkpoints: int
    signed: bool
    signed_trail: bool = field(default=False, repr=False)


def read_policy(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The policy a trail's first record states (``checkpoint_every``, ``signed``), if any.

    Trusted only once the chain and a checkpoint confirm that record (:func:`verify_trail`).
    """
    with open(path, "rb") as trail:
        first = trail.readline(1 << 20)
    parts = first.split(b"\t", 2)
    if len(parts) != 3 or parts[1] != b"1":
        return None
    try:
        body = json.loads(parts[2])
    except ValueError:
        return None
    policy = body.get(POLICY) if isinstance(body, dict) else None
    return policy if isinstance(policy, dict) else None


def _check_coverage(
    settled: int, entries: list[_Checkpoint], policy: dict[str, Any] | None, keyed: bool
) -> None:
    """Every checkpoint the trail's policy promises for its first ``settled`` records is there
    (all of them at rest; those its live writer has checkpointed); a signed trail has one."""
    records = settled
    have = {entry.seq for entry in entries}
    every = policy.get("checkpoint_every") if policy else None
    signed = bool(policy and policy.get("signed"))
    if records and not have and (signed or keyed or (isinstance(every, int) and records >= every)):
        raise AuditTamperedError(
            "withheld-checkpoint",
            records,
            f"the trail holds {records} records but no checkpoint: its checkpoint file was "
            "removed, emptied or withheld (or its writer was killed, or is still running, before"
            " writing the first one)",
        )
    if isinstance(every, int) and every > 0:
        for seq in range(every, records + 1, every):
            if seq not in have:
                raise AuditTamperedError(
                    "withheld-checkpoint",
                    seq,
                    f"the trail checkpoints every {every} records, but the checkpoint of "
                    f"record {seq} is missing",
                )


def _digest(prev: bytes, seq: bytes, body: bytes) -> bytes:
    return hashlib.sha256(prev + b"\t" + seq + b"\t" + body).hexdigest().encode()


def _sequence_error(expected: int, seq: int, lines: list[bytes], index: int) -> AuditTamperedError:
    if seq < expected:
        return AuditTamperedError(
            "reordered", seq, f"record {seq} appears after {expected - 1}", line=expected
        )
    wanted = str(expected).encode() + b"\t"
    if any(line[_HASH + 1 :].startswith(wanted) for line in lines[index:]):
        return AuditTamperedError(
            "reordered", expected, f"record {seq} appears before it", line=expected
        )
    return AuditTamperedError(
        "removed", expected, f"record {seq} follows {expected - 1}", line=expected
    )


def _malformed(expected: int) -> AuditTamperedError:
    return AuditTamperedError(
        "malformed", expected, "the line is not hash, seq, record", line=expected
    )


def _diagnose(lines: list[bytes], index: int) -> AuditTamperedError:
    """Why the record at ``index`` does not chain: malformed, out of place, or changed."""
    expected, line = index + 1, lines[index]
    head = line[_HASH + 1 :].split(b"\t", 1)[0]
    if line[_HASH : _HASH + 1] != b"\t" or not head.isdigit():
        return _malformed(expected)
    if int(head) != expected:
        return _sequence_error(expected, int(head), lines, index)
    return AuditTamperedError(
        "edited", expected, "its content does not match its hash", line=expected
    )


def verify_records(data: bytes, checkpoints: Mapping[int, bytes]) -> int:
    """Check a trail's bytes against its chain and checkpoints; return how many records.

    The sequential check, which names the first record at fault.

    >>> verify_records(b"", {})
    0
    """
    lines = data.split(b"\n")
    tail = lines.pop()
    index = first_break(lines, GENESIS)
    if index >= 0:
        raise _diagnose(lines, index)
    last = len(lines)
    if tail:
        raise AuditTamperedError(
            "truncated", last + 1, "the last record is incomplete", line=last + 1
        )
    for seq in sorted(checkpoints):
        if seq > last:
            raise AuditTamperedError(
                "truncated",
                last + 1,
                f"a checkpoint covers {seq} records, {last} remain",
                line=last + 1,
            )
        if lines[seq - 1][:_HASH] != checkpoints[seq]:
            raise AuditTamperedError(
                "rewritten", seq, "the chain differs from its checkpoint", line=seq
            )
    return last


@dataclass(frozen=True, slots=True)
class _Checkpoint:
    seq: int
    hash: bytes
    signature: object  # hex text when signed


def _read_checkpoints(path: Path) -> list[_Checkpoint]:
    if not path.exists():
        return []
    found = []
    for number, line in enumerate(path.read_bytes().splitlines(), 1):
        try:
            entry = json.loads(line)
            found.append(
                _Checkpoint(int(entry["seq"]), str(entry["hash"]).encode(), entry["signature"])
            )
        except (ValueError, KeyError, TypeError):
            raise AuditTamperedError(
                "forged-checkpoint", 0, f"line {number} of {path} is not a checkpoint"
            ) from None
    return found


def _check_signatures(checkpoints: list[_Checkpoint], verifier: PublicKey) -> None:
    for entry in checkpoints:
        if not verifier.verifies(b"%d\t%s" % (entry.seq, entry.hash), entry.signature):
            raise AuditTamperedError(
                "forged-checkpoint", entry.seq, "its signature does not verify"
            )


def _verify(
    path: Path,
    size: int,
    entries: list[_Checkpoint],
    verifier: PublicKey | None,
    processes: int | None,
    *,
    at_least: int | None = None,
    settled: int | None = None,
) -> AuditVerification:
    """Signatures, then the chain, a block at a time (on every core for a large trail); when
    that cannot confirm the trail intact, the whole trail is read again to name the record at
    fault."""
    checkpoints = {entry.seq: entry.hash for entry in entries}
    processes = cpu_count() if processes is None else processes
    if size < _audit_parallel.PARALLEL_BYTES:
        processes = 1
    check = ParallelCheck(path, size, checkpoints, processes)
    try:
        if verifier is not None:
            _check_signatures(entries, verifier)  # while the workers hash
        records = check.result()
    finally:
        check.close()
    if records is None:
        records = verify_records(read_range(str(path), 0, size), checkpoints)
    policy = read_policy(path) if records else None
    _check_coverage(
        records if settled is None else min(settled, records), entries, policy, verifier is not None
    )
    if at_least is not None and records < at_least:
        raise AuditTamperedError(
            "truncated",
            records + 1,
            f"the trail holds {records} records, {at_least} were expected (cut back, with its "
            "later checkpoints removed)",
        )
    signed_trail = bool(policy and policy.get("signed"))
    return AuditVerification(records, len(checkpoints), verifier is not None, signed_trail)


def verify_trail(
    path: str | os.PathLike[str],
    *,
    checkpoint_path: str | os.PathLike[str] | None = None,
    public_key: bytes | None = None,
    processes: int | None = None,
    at_least: int | None = None,
) -> AuditVerification:
    """Verify the audit trail at ``path`` without opening it for writing.

    Raises :class:`AuditTamperedError` naming the first record at fault. ``checkpoint_path``
    defaults to ``<path>.checkpoints``; with ``public_key`` (32 raw bytes) every checkpoint's
    signature is checked too, and a trail without checkpoints fails. The checkpoints the
    trail's first record promises (one every ``checkpoint_every`` records) must all be there.
    ``at_least``: the record count of the latest checkpoint you keep elsewhere; a trail cut
    back below it fails (without it, a cut just after a checkpoint, with the later checkpoints
    removed, cannot be told from a trail that ended there). A large trail is checked on
    ``processes`` cores (default: all).

    >>> import tempfile, pathlib
    >>> trail = AuditTrail(pathlib.Path(tempfile.mkdtemp()) / "audit.log")
    >>> _ = trail.append("login", actor="ada", resource="console")
    >>> trail.close()
    >>> verify_trail(trail.path)
    AuditVerification(records=1, checkpoints=1, signed=False)
    """
    path = Path(path)
    size = path.stat().st_size
    entries = _read_checkpoints(Path(checkpoint_path or f"{path}.checkpoints"))
    verifier = None if public_key is None else load_public_key(public_key)
    return _verify(path, size, entries, verifier, processes, at_least=at_least)


class AuditTrail:
    """An append-only, tamper-evident record of who did what to which resource.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> trail = AuditTrail(folder / "audit.log", checkpoint_every=2)
    >>> trail.append("login", actor="ada", resource="console", result="success").seq
    1
    >>> trail.verify().records
    1
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        checkpoint_path: str | os.PathLike[str] | None = None,
        signing_key: SigningKey | None = None,
        checkpoint_every: int = 1000,
        origin: str | None = None,
        fsync: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if checkpoint_every < 1:
            raise ConfigurationError(f"checkpoint_every must be at least 1, got {checkpoint_every}")
        self.path = Path(path)
        self.checkpoint_path = Path(checkpoint_path or f"{self.path}.checkpoints")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.checkpoint_path.parent.mkdir(parents=True, exist_ok=True)
        self._key, self._every, self._fsync, self._clock = (
            signing_key,
            checkpoint_every,
            fsync,
            clock,
        )
        self.origin = origin or f"{socket.gethostname()}/{os.getpid()}"
        self._lock = threading.Lock()
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        self._seq, self._hash = self._resume()
        self._checkpointed = self._seq
        if self._seq:
            self._adopt_policy(read_policy(self.path))
        _OPEN.add(self)

    def _adopt_policy(self, policy: dict[str, Any] | None) -> None:
        """A resumed trail keeps the cadence it was created with, and stays signed."""
        if policy is None:
            return
        every = policy.get("checkpoint_every")
        if isinstance(every, int) and every >= 1:
            self._every = every
        if policy.get("signed") and self._key is None:
            os.close(self._fd)
            raise ConfigurationError(
                f"the audit trail {self.path} is signed (its first record says so), but no "
                "signing_key was given: pass the key it was created with, or its checkpoints "
                "from here on would fail verification"
            )

    def _resume(self) -> tuple[int, bytes]:
        size = os.fstat(self._fd).st_size
        start = max(0, size - _TAIL_READ)
        tail = os.pread(self._fd, size - start, start)
        cut = tail.rfind(b"\n")
        if cut + 1 < len(tail):  # a torn, never-acknowledged write: drop it
            os.truncate(self.path, start + cut + 1)
        lines = tail[: cut + 1].split(b"\n")
        last = lines[-2] if len(lines) >= 2 else b""
        parts = last.split(b"\t", 2)
        if len(parts) == 3 and parts[1].isdigit():
            return int(parts[1]), parts[0]
        return 0, GENESIS

    def append(
        self,
        action: str,
        *,
        actor: str,
        resource: str,
        result: str = "success",
        event: str = "audit",
        **fields: Any,
    ) -> AuditRecord:
        """Append a record (written before this returns) and return it.

        The first record of a trail also states the trail's policy (``trail_policy``: how
        often it checkpoints, whether it is signed), so withheld checkpoints are detected.
        """
        if self._seq == 0:
            fields = {
                **fields,
                POLICY: {"checkpoint_every": self._every, "signed": self._key is not None},
            }
        body: dict[str, Any] = redact_value(
            {
                **fields,
                "event": event,
                "action": action,
                "actor": actor,
                "resource": resource,
                "result": result,
                "origin": self.origin,
                "time": self._clock(),
            }
        )
        data = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str).encode()
        with self._lock:
            seq = str(self._seq + 1).encode()
            digest = _digest(self._hash, seq, data)
            os.write(self._fd, digest + b"\t" + seq + b"\t" + data + b"\n")
            if self._fsync:
                os.fsync(self._fd)
            self._seq, self._hash = self._seq + 1, digest
            if self._seq % self._every == 0:
                self._write_checkpoint()
        return AuditRecord(self._seq, digest.decode(), body)

    def _write_checkpoint(self) -> None:
        message = f"{self._seq}\t{self._hash.decode()}".encode()
        entry = {
            "seq": self._seq,
            "hash": self._hash.decode(),
            "time": self._clock(),
            "signature": None if self._key is None else self._key.sign(message).hex(),
        }
        with open(self.checkpoint_path, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry) + "\n")
            out.flush()
            os.fsync(out.fileno())
        self._checkpointed = self._seq

    def checkpoint(self) -> None:
        """Write a checkpoint of the current head now (if records were added since the last)."""
        with self._lock:
            if self._seq > self._checkpointed:
                self._write_checkpoint()

    def close(self) -> None:
        """Checkpoint the head and close the file."""
        self.checkpoint()
        os.close(self._fd)
        _OPEN.discard(self)

    def verify(self, public_key: bytes | None = None) -> AuditVerification:
        """Check every record and checkpoint; raise :class:`AuditTamperedError` naming the first
        record at fault. ``public_key`` (32 raw bytes) defaults to the trail's own key."""
        with self._lock:  # what was written so far, checkpoints included
            size = self.path.stat().st_size
            entries = _read_checkpoints(self.checkpoint_path)
            settled = self._checkpointed  # records after it await this writer's next checkpoint
        verifier = (
            load_public_key(public_key)
            if public_key is not None
            else (None if self._key is None else self._key.public_key())
        )
        return _verify(self.path, size, entries, verifier, None, settled=settled)


@atexit.register
def _checkpoint_all_at_exit() -> None:
    for trail in list(_OPEN):
        trail.checkpoint()

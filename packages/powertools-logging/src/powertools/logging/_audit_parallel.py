"""Confirming an audit trail intact, one byte range per process (one range for a small trail).

Hashing is most of verification and ``hashlib`` keeps the GIL for inputs under 2 KiB (a
record is ~200 bytes), so threads would not help: the ranges after the first go to
``python -I -S _audit_chain.py`` workers (decision 0504 says why not ``multiprocessing``)
while this process checks the first range itself.

This path only *confirms*: if any range is off, or a worker cannot run, :meth:`result` returns
``None`` and the caller runs the sequential check, which says exactly what is wrong and where.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from powertools.logging import _audit_chain
from powertools.logging._audit_chain import GENESIS, HASH, confirm_range, read_range

__all__ = ["PARALLEL_BYTES", "ParallelCheck", "cpu_count"]

PARALLEL_BYTES = 16 << 20  # below this, starting a worker costs more than it saves
_WINDOW = 1 << 16  # how far around a split point to look for a line boundary


def cpu_count() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1  # pragma: no cover -- macOS and Windows


def _interpreter() -> str:
    """This Python's executable, or "" where ``sys.executable`` is not a Python (an embedding
    server, say), which would not run the worker script as Python does."""
    name = Path(sys.executable or "").name.lower()
    return sys.executable if name.startswith(("python", "pypy")) else ""


def _is_hash(digest: bytes) -> bool:
    return len(digest) == HASH and digest.isalnum()


@dataclass(frozen=True, slots=True)
class _Range:
    start: int  # byte offset of the range's first line
    end: int
    prev: bytes  # stored hash of the line before it
    first: int  # records before it, as its first line's sequence number says


def _split_point(trail: Path, offset: int, size: int) -> tuple[int, bytes, int] | None:
    """The line boundary after ``offset``: its byte offset, the hash of the line that ends
    there and the sequence number after the boundary, minus one. ``None`` if the lines there
    are too long or not records (the sequential check will say what they are)."""
    base = max(0, offset - _WINDOW)
    window = read_range(str(trail), base, offset + _WINDOW)
    cut = window.find(b"\n", offset - base)
    begin = window.rfind(b"\n", 0, max(cut, 0)) + 1
    if cut < 0 or (begin == 0 and base > 0):
        return None
    prev, head = window[begin : begin + HASH], window[cut + 1 + HASH + 1 :].split(b"\t", 1)
    if base + cut + 1 >= size:  # the trail's end: no range starts here
        return base + cut + 1, prev, 0
    if len(head) < 2 or not head[0].isdigit() or not prev.isalnum():
        return None
    return base + cut + 1, prev, int(head[0]) - 1


def _ranges(trail: Path, size: int, parts: int) -> list[_Range] | None:
    starts: list[tuple[int, bytes, int]] = [(0, GENESIS, 0)]
    for part in range(1, parts):
        point = _split_point(trail, size * part // parts, size)
        if point is None:
            return None
        if starts[-1][0] < point[0] < size:
            starts.append(point)
    ends = [start for start, _, _ in starts[1:]] + [size]
    return [
        _Range(start, end, prev, first)
        for (start, prev, first), end in zip(starts, ends, strict=True)
    ]


class ParallelCheck:
    """Workers checking a trail's ranges, started now; :meth:`result` gathers them.

    ``checkpoints`` maps a record's sequence number to its hash (signatures are the caller's).
    """

    def __init__(
        self, trail: Path, size: int, checkpoints: Mapping[int, bytes], processes: int
    ) -> None:
        self._trail, self._checkpoints = trail, checkpoints
        self._workers: list[subprocess.Popen[bytes]] = []
        self._ranges = _ranges(trail, size, processes if _interpreter() else 1)
        if self._ranges is None or not all(map(_is_hash, checkpoints.values())):
            self._ranges = None  # what the sequential check will name
            return
        try:
            for part, following in zip(self._ranges[1:], [*self._ranges[2:], None], strict=False):
                self._workers.append(self._start(part, following))
        except OSError:  # no interpreter to start, or it died at once: check sequentially
            self._ranges = None

    def _start(self, part: _Range, following: _Range | None) -> subprocess.Popen[bytes]:
        last = following.first if following else None
        mine = b"".join(
            b"%d\t%s\n" % (seq, digest)
            for seq, digest in self._checkpoints.items()
            if part.first < seq and (last is None or seq <= last)
        )
        args = [os.path.abspath(self._trail), part.start, part.end, part.prev.decode(), part.first]
        worker = subprocess.Popen(  # noqa: S603 -- our own interpreter and script
            [_interpreter(), "-I", "-S", _audit_chain.__file__, *map(str, args)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert worker.stdin is not None  # stdin=PIPE
        worker.stdin.write(mine)
        worker.stdin.close()
        return worker

    def result(self) -> int | None:
        """How many records, if every range chains to the one before it and matches its
        checkpoints; ``None`` if not (or a worker failed), so the caller checks sequentially."""
        if self._ranges is None:
            return None
        head = self._ranges[0]
        trail = str(self._trail)
        counts = [
            confirm_range(
                trail, head.start, head.end, head.prev, head.first, checkpoints=self._checkpoints
            )
        ]
        counts += [self._count(worker) for worker in self._workers]
        total = 0
        for part, count in zip(self._ranges, counts, strict=True):
            if count is None or part.first != total:  # a range's sequence numbers are off
                return None
            total += count
        if any(seq > total for seq in self._checkpoints):
            return None
        return total

    @staticmethod
    def _count(worker: subprocess.Popen[bytes]) -> int | None:
        assert worker.stdout is not None  # stdout=PIPE
        out = worker.stdout.read()
        worker.wait()
        text = out.decode(errors="replace").strip()
        if worker.returncode != 0 or not text.lstrip("-").isdigit() or int(text) < 0:
            return None
        return int(text)

    def close(self) -> None:
        """Stop any worker still running (after an error raised between start and result)."""
        for worker in self._workers:
            if worker.poll() is None:
                worker.kill()
            worker.wait()
            assert worker.stdout is not None  # stdout=PIPE
            worker.stdout.close()

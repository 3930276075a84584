"""The hot loop of audit verification: does each line chain to the one before it?

A line is ``sha256<TAB>seq<TAB>json`` with ``sha256 = SHA-256(previous line's sha256, TAB seq
TAB json)``, so a line can be checked knowing only the stored hash of the line before it: any
byte range of a trail can be checked on its own. This module imports nothing but the standard
library, so that a large trail is checked by ``python -I -S _audit_chain.py`` workers, one per
range, which start in milliseconds and carry nothing of the calling program.

Run as a script, it reads ``seq TAB hash`` checkpoint lines on stdin, checks the lines in
``[start, end)`` of ``path`` and prints how many there are, or ``-1`` if anything is off.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping
from typing import BinaryIO, TextIO

GENESIS = b"0" * 64
HASH = 64  # hex digits of a SHA-256 at the start of each line
BLOCK = 1 << 19  # bytes read and hashed at a time: measured fastest (decision 0504)


def first_break(lines: list[bytes], prev: bytes) -> int:
    """The index of the first line that does not chain from the one before it, or -1.

    ``prev`` is the stored hash of the line before ``lines[0]`` (:data:`GENESIS` for the first
    record). The sequence number is hashed too, so a removed, duplicated or moved record breaks
    the chain; saying which of those happened is left to the caller.

    >>> first_break([b"not a line"], GENESIS)
    0
    """
    sha = hashlib.sha256
    for index, line in enumerate(lines):
        digest = line[:HASH]
        if sha(prev + line[HASH:]).hexdigest().encode() != digest:
            return index
        prev = digest
    return -1


def read_range(path: str, start: int, end: int) -> bytes:
    """The bytes ``[start, end)`` of the file at ``path`` (fewer if the file is shorter)."""
    with open(path, "rb") as trail:
        trail.seek(start)
        return trail.read(end - start)


def confirm_range(
    path: str, start: int, end: int, prev: bytes, first: int, *, checkpoints: Mapping[int, bytes]
) -> int | None:
    """How many records the bytes ``[start, end)`` of a trail hold, if they chain from ``prev``
    and match every checkpoint of a record among them; ``None`` if anything is off.

    ``[start, end)`` must begin at a line; ``first`` is the number of records before it, and
    ``checkpoints`` maps a record's sequence number to its hash. The range is read a block at a
    time, which keeps the lines being hashed in the CPU's cache and the memory small.

    >>> confirm_range("/dev/null", 0, 0, GENESIS, 0, checkpoints={})
    0
    """
    done, rest = first, b""
    due = iter(sorted(seq for seq in checkpoints if seq > first))
    wanted = next(due, None)
    with open(path, "rb") as trail:
        trail.seek(start)
        for offset in range(start, end, BLOCK):
            block = trail.read(min(BLOCK, end - offset))
            lines = (rest + block).split(b"\n")
            rest = lines.pop()  # a line that goes on in the next block, or a torn one
            if len(block) < min(BLOCK, end - offset) or first_break(lines, prev) >= 0:
                return None  # the file is shorter than the range, or a line does not chain
            if lines:
                prev = lines[-1][:HASH]
            while wanted is not None and wanted <= done + len(lines):
                if lines[wanted - done - 1][:HASH] != checkpoints[wanted]:
                    return None
                wanted = next(due, None)
            done += len(lines)
    return None if rest else done - first


def main(argv: list[str], stdin: BinaryIO, stdout: TextIO) -> int:
    """The worker: ``PATH START END PREV FIRST`` as arguments, checkpoints on stdin."""
    path, start, end, prev, first = argv
    checkpoints = {}
    for line in stdin.read().splitlines():
        seq, digest = line.split(b"\t")
        checkpoints[int(seq)] = digest
    count = confirm_range(
        path, int(start), int(end), prev.encode(), int(first), checkpoints=checkpoints
    )
    stdout.write(f"{-1 if count is None else count}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover -- a worker's entry, run in its own process
    sys.exit(main(sys.argv[1:], sys.stdin.buffer, sys.stdout))

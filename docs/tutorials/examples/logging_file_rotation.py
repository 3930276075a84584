"""Ship logs to a JSON-lines file that rotates by size, compresses and keeps the last few."""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path

from powertools.logging import StructuredLogger
from powertools.logging.sinks.file import FileSink, query_files

folder = Path(tempfile.mkdtemp())
sink = FileSink(
    folder / "api.jsonl",
    max_bytes=2_000,  # rotate past 2 kB (production: e.g. 50_000_000, or interval=86_400)
    retention=10,  # keep the ten newest rotated files, delete older ones
    compress=True,  # gzip them
)
log = StructuredLogger("api", sinks=[sink])


def main() -> None:
    for n in range(60):
        log.info("request", path=f"/v1/chat/{n}", status=200 if n % 10 else 500, n=n)
    log.flush()

    rotated = sink.rotated_files()
    print(f"current file + {len(rotated)} rotated: {[p.name[-14:] for p in rotated]}")
    assert 0 < len(rotated) <= 10
    assert all(p.suffix == ".gz" for p in rotated)

    last = json.loads((folder / "api.jsonl").read_text().splitlines()[-1])
    assert last["n"] == 59
    assert last["event"] == "request"
    with gzip.open(rotated[-1], "rt") as rotated_file:
        print("a rotated line:", rotated_file.readline().strip()[:90], "...")

    # any of these files can be searched later, without a logger
    errors = query_files(
        sink.path, *rotated, event_type="request", filters={"status": 500}, limit=1000
    )
    print(f"{len(errors)} errors among the retained requests")
    assert len(errors) == 6  # n = 0, 10, ..., 50: nothing was lost to rotation
    assert all(e.fields["status"] == 500 for e in errors)
    log.close()


if __name__ == "__main__":
    main()

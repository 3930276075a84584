"""The powertools side of the logging migration guide."""

from __future__ import annotations

import tempfile
from pathlib import Path

from powertools.logging import StructuredLogger, context, set_context
from powertools.logging.sinks.file import FileSink
from powertools.logging.testing import MemorySink

folder = Path(tempfile.mkdtemp())
sink = MemorySink()

# --8<-- [start:structlog]
log = StructuredLogger("billing", sinks=[sink])  # structlog.get_logger("billing")

set_context(request_id="r-1")  # structlog.contextvars.bind_contextvars(request_id="r-1")
log.info("charge_created", amount=42, currency="EUR")  # the same call shape
bound = log.bind(user_id="u-7")  # log.bind(user_id="u-7")
bound.warning("card_declined")
# --8<-- [end:structlog]

# --8<-- [start:loguru]
# loguru: logger.add("app.jsonl", rotation="50 MB", retention=10, compression="gz",
#                    serialize=True)
files = StructuredLogger(
    "app",
    sinks=[FileSink(folder / "app.jsonl", max_bytes=50_000_000, retention=10, compress=True)],
)
with context(job="nightly"):  # loguru: with logger.contextualize(job="nightly"):
    files.info("job_started")
files.flush()
# --8<-- [end:loguru]


def main() -> None:
    fields = [e.fields for e in sink.events]
    assert fields[0]["request_id"] == "r-1"
    assert fields[0]["amount"] == 42
    assert fields[1]["user_id"] == "u-7"
    line = (folder / "app.jsonl").read_text(encoding="utf-8")
    assert '"job":"nightly"' in line
    print(f"{len(fields)} events in memory, 1 on file")
    log.close()
    files.close()


if __name__ == "__main__":
    main()

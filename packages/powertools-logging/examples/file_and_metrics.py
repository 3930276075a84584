"""A rotating JSON-lines file, a timer, aggregated metrics and a query over the files."""

import tempfile
from pathlib import Path

from powertools.logging import StructuredLogger
from powertools.logging.sinks.file import FileSink

folder = Path(tempfile.mkdtemp())
sink = FileSink(folder / "app.jsonl", max_bytes=4096, retention=5, compress=True)
log = StructuredLogger("worker", sinks=[sink])

for n in range(50):
    with log.timer("llm_call", model="gpt-4"):
        log.debug("not written: the logger's level is info")
    log.metric("cost_usd", 0.002 * n, tags={"model": "gpt-4"}, unit="None")

for summary in log.flush_metrics(process=False):
    if summary["metric"] == "llm_call.duration_ms":
        print(f"llm_call: {summary['count']} calls")

calls = log.query(event_type="llm_call", limit=10_000)
print(f"{len(calls)} timed calls on file, {len(sink.rotated_files())} rotated files")
log.close()

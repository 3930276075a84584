"""Time each LLM call and keep a library's own log lines, all as structured events.

`log.timer(...)` times a block and logs one event with its duration; `flush_metrics()` writes the
histogram per tags. `StdlibHandler` turns a library's stdlib `logging` records (an SDK's retry
warnings, say) into events of the same logger, with the same context.
"""

import logging

from powertools.logging import StructuredLogger
from powertools.logging.sinks.bridges import StdlibHandler
from powertools.logging.testing import MemorySink

sink = MemorySink()
log = StructuredLogger("worker", sinks=[sink])
sdk_logger = logging.getLogger("some_sdk")  # a library that logs the stdlib way
sdk_logger.addHandler(StdlibHandler(log))
sdk_logger.setLevel(logging.INFO)

log.set_context(request_id="req-9")
for attempt in range(3):
    with log.timer("llm_call", tags={"model": "gpt-4o-mini"}, attempt=attempt):
        sdk_logger.warning("Retrying request to /chat/completions in %.1f seconds", 0.5)
log.flush_metrics(process=False)

names = [event.event for event in sink.events]
assert names.count("llm_call") == 3, names
assert "metrics" in names, names
bridged = [e for e in sink.events if "Retrying request" in e.event]
assert len(bridged) == 3, names
assert all(e["request_id"] == "req-9" for e in sink.events)
print(sorted(set(names) - {bridged[0].event}), "+", len(bridged), "bridged SDK warnings")

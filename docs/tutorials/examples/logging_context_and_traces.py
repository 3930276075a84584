"""Structured logs with context and trace ids that follow a request across tasks and services."""

from __future__ import annotations

import asyncio

from powertools.logging import (
    StructuredLogger,
    context,
    context_from_headers,
    set_context,
    trace_headers,
)
from powertools.logging.testing import MemorySink

sink = MemorySink()  # production: the default console + SQLite, or sinks of your choice
log = StructuredLogger("chat-api", sinks=[sink])


async def handle(user_id: str, incoming_headers: dict[str, str]) -> dict[str, str]:
    set_context(**context_from_headers(incoming_headers))  # adopt the caller's trace
    set_context(user_id=user_id)  # every later event of this task carries it
    log.info("request_received", route="/chat")
    with context(model="gpt-4o"):  # only for this block
        log.info("llm_call", tokens=812, api_key="sk-proj-abc123def456ghi789")
    return trace_headers()  # what to send to the next service


async def main() -> None:
    caller = {"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
    # two requests at once: their context never mixes
    outgoing, _ = await asyncio.gather(handle("ann", caller), handle("bob", {}))

    events = [(e.event, e.fields) for e in sink.events]
    for name, fields in events:
        print(name, fields["user_id"], fields["trace_id"], fields.get("model"))
    ann = [fields for _, fields in events if fields["user_id"] == "ann"]
    assert {f["trace_id"] for f in ann} == {"4bf92f3577b34da6a3ce929d0e0e4736"}
    assert ann[1]["model"] == "gpt-4o"
    assert "model" not in ann[0]
    assert ann[1]["api_key"] == "[REDACTED]"  # secrets never reach a sink
    bob = [fields for _, fields in events if fields["user_id"] == "bob"]
    assert bob[0]["trace_id"] != ann[0]["trace_id"]  # bob got a trace of his own
    assert "4bf92f3577b34da6a3ce929d0e0e4736" in outgoing["traceparent"]
    print("outgoing headers:", outgoing)
    log.close()


if __name__ == "__main__":
    asyncio.run(main())

"""The spec's example: context, structured events, a metric, an audit record and a query.

Run it: ``python examples/quickstart.py`` (stores go under ``POWERTOOLS_LOGGING_DIR`` or your
data folder).
"""

from powertools.logging import StructuredLogger

log = StructuredLogger("my_module")

# Contextual logging
log.set_context(user_id="user123", session_id="sess456", trace_id="trace789")

# Structured output
log.info("llm_call_started", model="gpt-4", tokens=1500, provider="openai", priority="high")

# Metrics
log.metric("code_generation_quality", value=0.85, tags={"model": "gpt-4", "language": "python"})

# Audit trail
log.audit(
    "security_event",
    action="create_pr",
    resource="repo/llama-cpp-python",
    actor="user123",
    result="success",
)

# Query logs
events = log.query(
    event_type="llm_call_started",
    start_time="2026-01-01",
    end_time="2026-01-31",
    filters={"model": "gpt-4"},
)
print(f"Found {len(events)} GPT-4 calls in January")

# Everything logged so far, whatever the date
latest = log.query(event_type="llm_call_started", filters={"model": "gpt-4"}, limit=1)
print(f"Latest call: {latest[-1].fields['model']} for {latest[-1].fields['user_id']}")

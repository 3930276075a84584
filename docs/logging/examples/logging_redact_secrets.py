"""A debugging log line that carries an API key and a DSN never writes them.

Secrets are redacted by default: key-shaped values in any text, fields named like secrets,
URL passwords, in nested dicts too. The test sink shows exactly what a real sink would get.
"""

from powertools.logging import StructuredLogger
from powertools.logging.testing import MemorySink

sink = MemorySink()
log = StructuredLogger("gateway", sinks=[sink])

key = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0" * 2
log.error(
    "provider_call_failed",
    request={"headers": {"Authorization": f"Bearer {key}"}, "model": "gpt-4o"},
    detail=f"401 for key {key}",
    database="postgresql://app:hunter2@db.internal/llm",
    api_key=key,
)

event = sink.events[0]
written = repr(event)
assert key not in written, written
assert "hunter2" not in written, written
assert event["request"]["model"] == "gpt-4o"  # what is not a secret is kept
assert event["database"] == "postgresql://app:[REDACTED]@db.internal/llm"
print(event["detail"])
print(event["database"])
print(event["api_key"], event["request"]["headers"]["Authorization"])

"""Which users made the most LLM calls today? Bind each request's context, then count.

`bind()` gives a logger whose events all carry the request's fields; the default SQLite store
indexes `user_id` and `model`, so the counts are queries, not a scan of files.
"""

from collections import Counter

from powertools.logging import StructuredLogger
from powertools.logging.sinks.sqlite import SqliteSink

log = StructuredLogger("api", sinks=[SqliteSink("usage.db")])

requests = [("ada", "gpt-4o"), ("bob", "gpt-4o-mini"), ("ada", "gpt-4o-mini"), ("ada", "gpt-4o")]
for n, (user, model) in enumerate(requests):
    request_log = log.bind(user_id=user, request_id=f"req-{n}")
    request_log.info("llm_call", model=model, tokens=100 * (n + 1))
log.flush()

by_user = Counter(event["user_id"] for event in log.query(event_type="llm_call"))
assert by_user == {"ada": 3, "bob": 1}, by_user
gpt4o = log.count(event_type="llm_call", filters={"user_id": "ada", "model": "gpt-4o"})
assert gpt4o == 2
print("calls per user:", dict(by_user.most_common()))
print("ada's gpt-4o calls:", gpt4o)

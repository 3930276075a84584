"""Five minutes: a routed, budgeted, logged call through the whole stack, with no keys.

pip install ai-powertools, then run this file. With no API key and no local server the router
uses its simulated models (it says so once); set OPENAI_API_KEY or start Ollama and the same
code routes to real ones.
"""

import tempfile
from pathlib import Path

from powertools import Stack

folder = Path(tempfile.mkdtemp())
(folder / "powertools.toml").write_text(
    f"""
[cost]
budget_usd_per_month = 20
ledger = "sqlite:///{folder / "ledger.db"}"

[logging]
name = "quickstart"
sinks = ["sqlite:///{folder / "events.db"}"]

[session]
name = "quickstart"
store = "file://{folder / "sessions"}"

[ratelimit]
requests_per_minute = 600
"""
)

stack = Stack.from_config(cwd=folder)
result = stack.route_sync(
    "Write a Python function that checks whether a string is a palindrome.",
    complexity=0.6,
    max_tokens=200,
    task_name="codegen",
    user="ada",
    trace_id="quickstart-1",
)

print(f"{result.provider}/{result.model} answered for ${result.cost}")
print(result.decision.explain().splitlines()[1])
print("spent this month:", stack.cost.get_total(), "of", stack.cost.budget.limit)
print(
    "events of this call:",
    [e.event for e in stack.logger.query(filters={"trace_id": "quickstart-1"})],
)
print("the session remembers:", stack.session.get("history")[-1]["model"])
stack.close()

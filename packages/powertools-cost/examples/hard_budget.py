"""A hard budget: reserve the worst case before the call, commit the actual cost after.

Run: ``python examples/hard_budget.py``.
"""

from __future__ import annotations

import asyncio

from powertools.cost import BudgetExceededError, CostTracker


async def main() -> None:
    alerts = []
    tracker = CostTracker(budget_usd="0.05", alert_threshold_usd="0.03", on_alert=alerts.append)
    tracker.budgets.add("1", window="daily", user="trial-user")
    calls = 0
    while True:
        try:
            # worst case: 4,000 prompt tokens and 1,000 output tokens of gpt-4o
            async with tracker.track_call(
                "answer", model="gpt-4o", user="trial-user", prompt_tokens=4000, max_tokens=1000
            ) as span:
                span.record({"usage": {"prompt_tokens": 4000, "completion_tokens": 200}})
                calls += 1
        except BudgetExceededError as refused:
            print(f"refused before spending: {refused}")
            break
    print(f"{calls} calls, ${tracker.get_total()} spent, {len(alerts)} alert(s)")


if __name__ == "__main__":
    asyncio.run(main())

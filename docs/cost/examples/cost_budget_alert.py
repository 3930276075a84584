"""Tell the team once, at 80 % of the monthly budget, before the budget refuses anything.

`alert_threshold_usd=` fires each threshold exactly once per budget and window (across
processes too, on a shared ledger); `on_alert` receives an `Alert` to forward to chat or a pager.
"""

from __future__ import annotations

import asyncio

from powertools.cost import Alert, CostTracker
from powertools.cost.testing import openai_response

posted: list[str] = []


def post_to_team_chat(alert: Alert) -> None:
    """Stands in for a webhook call (Slack, Teams, a pager)."""
    posted.append(f"budget alert: ${alert.spent} spent, threshold ${alert.threshold}")


async def main() -> None:
    tracker = CostTracker(budget_usd="1.00", alert_threshold_usd="0.80", on_alert=post_to_team_chat)
    calls = 0
    while tracker.get_total() < 0.95:
        async with tracker.track_call(
            "triage", model="gpt-4o", prompt_tokens=8000, max_tokens=500
        ) as span:
            span.record(openai_response("gpt-4o", 8000, 400))  # $0.024 a call
        calls += 1
    assert len(posted) == 1, posted  # once, however many calls pass the threshold
    print(f"{calls} calls, ${tracker.get_total()} spent")
    print(posted[0])


if __name__ == "__main__":
    asyncio.run(main())

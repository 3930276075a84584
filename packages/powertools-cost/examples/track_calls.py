"""Track the cost of LLM calls against a monthly budget, then report and forecast.

Run: ``python examples/track_calls.py`` (no keys needed: the usage is a provider's response).
"""

from __future__ import annotations

import asyncio

from powertools.cost import CostTracker, report_usage


async def fake_llm(prompt: str) -> str:
    """Stands in for a client that reports its usage (the router and the httpx hook do)."""
    report_usage(
        {
            "model": "gpt-4o-mini",
            "usage": {
                "prompt_tokens": 1200,
                "completion_tokens": 300,
                "prompt_tokens_details": {"cached_tokens": 1000},
            },
        }
    )
    return prompt.upper()


async def main() -> None:
    tracker = CostTracker(budget_usd=100.0, alert_threshold_usd=80.0)
    for user in ("ann", "bob", "ann"):
        async with tracker.track_call("summarise", user=user, tags=["beta"]):
            await fake_llm("summarise this")

    report = tracker.get_daily_report()
    print(f"Today's cost: ${report.total}")
    print(f"Tasks: {report.task_count}")
    print(f"Budget remaining: ${report.remaining}")
    print(f"By user: {report.by_user}")
    forecast = tracker.forecast_monthly()
    print(f"Projected this month: ${forecast.projected_cost} ({forecast.low}-{forecast.high})")


if __name__ == "__main__":
    asyncio.run(main())

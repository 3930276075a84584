"""Set a hard monthly budget: a call that could overspend is refused before it is sent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

from powertools.cost import Alert, BudgetExceededError, CostTracker
from powertools.cost.testing import FakeClock, openai_response

clock = FakeClock(datetime(2026, 11, 20, tzinfo=UTC).timestamp())
alerts: list[Alert] = []
tracker = CostTracker(
    budget_usd="0.10",  # the team's monthly cap
    alert_threshold_usd="0.08",  # warn at 80 %
    budget_window="monthly",
    on_alert=alerts.append,
    clock=clock,
)
tracker.budgets.add("0.02", window="daily", user="trial-user")  # and a daily cap for one user


async def answer(user: str) -> None:
    # model, prompt size and max_tokens let the span reserve the worst case before the call
    async with tracker.track_call(
        "answer", model="gpt-4o", user=user, prompt_tokens=2_000, max_tokens=500
    ) as span:
        span.record(openai_response("gpt-4o", 2_000, 400))  # what the provider reports


async def calls_until_refused(user: str) -> int:
    made = 0
    while True:
        try:
            await answer(user)
        except BudgetExceededError as refused:
            # the error says which budget, what the call needs and what is left
            print(f"refused before sending: needs ${refused.requested}, ${refused.available} left")
            return made
        made += 1


async def main() -> None:
    trial = await calls_until_refused("trial-user")
    print(f"trial-user: {trial} calls today, ${tracker.get_total()} spent")
    assert trial == 2  # $0.009 a call, $0.0125 reserved: the third would cross $0.02

    team = await calls_until_refused("ann")
    total = tracker.get_total()
    print(f"the team: {trial + team} calls this month, ${total} spent, {len(alerts)} alert")
    assert total <= Decimal("0.10")  # never over the cap
    assert len(alerts) == 1
    assert alerts[0].threshold == Decimal("0.08")

    clock.advance(11 * 86_400)  # December: a new window
    await answer("ann")
    december = tracker.get_daily_report()
    print(f"December's first call goes through: ${december.total} today")
    assert december.task_count == 1


if __name__ == "__main__":
    asyncio.run(main())

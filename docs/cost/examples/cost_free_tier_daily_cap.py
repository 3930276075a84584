"""A free tier: each user may spend 2 cents a day; a heavy user is refused, the others are not.

Per-user daily budgets sit beside the global one; a call must fit every budget that applies.
The refusal comes before the call is sent (the worst case is reserved first), and the next day
the user's window starts again. The test clock moves the day without waiting for it.
"""

from __future__ import annotations

import asyncio

from powertools.cost import BudgetExceededError, CostTracker
from powertools.cost.testing import FakeClock, openai_response

DAY = 86_400


async def answer(tracker: CostTracker, user: str) -> bool:
    try:
        async with tracker.track_call(
            "answer", model="gpt-4o-mini", user=user, prompt_tokens=6000, max_tokens=1000
        ) as span:
            span.record(openai_response("gpt-4o-mini", 6000, 800))
    except BudgetExceededError:
        return False
    return True


async def main() -> None:
    clock = FakeClock(start=1_780_000_000.0)  # a day in May 2026
    tracker = CostTracker(budget_usd=100, clock=clock)
    for user in ("heavy", "light"):
        tracker.budgets.add("0.02", window="daily", user=user)

    heavy = [await answer(tracker, "heavy") for _ in range(20)]
    light = await answer(tracker, "light")
    served = heavy.count(True)
    assert 0 < served < 20, heavy
    assert not any(heavy[served:]), "once refused, refused for the rest of the day"
    assert light, "one user's cap does not stop another"
    print(f"heavy: {served} answers, then refused; light: served")

    clock.advance(DAY)
    assert await answer(tracker, "heavy"), "a new day, a new allowance"
    print(f"next day heavy is served again; spent ${tracker.get_total()} in all")


if __name__ == "__main__":
    asyncio.run(main())

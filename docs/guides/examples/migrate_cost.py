"""The powertools side of the LiteLLM cost and budget migration guide."""

from __future__ import annotations

import asyncio

from powertools.cost import BudgetExceededError, CostTracker, PriceBook, parse_response
from powertools.cost.testing import openai_response

response = openai_response("gpt-4o", 1_000, 200)  # what the provider returned


def cost_of_a_response() -> str:
    # --8<-- [start:completion_cost]
    # litellm: cost = completion_cost(completion_response=response)
    usage, model = parse_response(response)
    cost = PriceBook.default().cost(usage, model or "gpt-4o")  # a Decimal, exact
    # --8<-- [end:completion_cost]
    return str(cost)


async def budget_per_user() -> int:
    # --8<-- [start:budget]
    # litellm: budget_manager.create_budget(total_budget=10, user=user)
    #          if get_current_cost(user) <= get_total_budget(user): call, then update_cost(...)
    tracker = CostTracker()
    tracker.budgets.add("0.01", window="monthly", user="user-1234")

    async def ask(user: str) -> None:
        # reserves the worst case first: refused *before* the call when it cannot fit
        async with tracker.track_call(
            "chat", model="gpt-4o", user=user, prompt_tokens=1_000, max_tokens=200
        ) as span:
            span.record(response)  # update_cost(completion_obj=response, user=user)

    # --8<-- [end:budget]
    made = 0
    try:
        while True:
            await ask("user-1234")
            made += 1
    except BudgetExceededError:
        pass
    return made


def main() -> None:
    assert cost_of_a_response() == "0.0045"
    made = asyncio.run(budget_per_user())
    print(f"$ {cost_of_a_response()} a call; {made} calls fit a $0.01 budget")
    assert made == 2


if __name__ == "__main__":
    main()

"""Route a task to the cheapest model that is good enough, and see why it was chosen."""

import asyncio

from powertools.router import LLMRouter, SimulatedProvider

# The simulated models stand in for real ones (priced like them) when no key or server is set;
# latency_scale=0 answers at once, so this example runs in milliseconds.
router = LLMRouter(
    providers=[SimulatedProvider(latency_scale=0)],
    budget_usd_per_month=100,
    explore=0,  # no exploration: the same request always gets the same decision
)


async def main() -> None:
    result = await router.route(
        task="Generate Python function",
        complexity_score=0.6,
        required_quality=0.8,
        max_tokens=1000,
    )
    print(f"Provider used: {result.provider}/{result.model}")
    print(f"Cost: ${result.cost}")
    print(result.decision.explain().splitlines()[1])

    easy = await router.route(task="Translate 'good morning' to French", complexity=0.2)
    print(f"An easy task stays local: {easy.model} for ${easy.cost}")


asyncio.run(main())

"""Feedback teaches the router which model really handles hard tasks."""

import asyncio

from powertools.router import LLMRouter, SimulatedProvider

router = LLMRouter(providers=[SimulatedProvider(latency_scale=0)], explore=0)


async def main() -> None:
    first = await router.route(task="Refactor this module", complexity=0.7)
    print("first choice:", first.model)
    for _ in range(3):  # say its answers to hard tasks were poor
        router.feedback(first, 0.0)
    second = await router.route(task="Refactor this module", complexity=0.7)
    print("after feedback:", second.model)


asyncio.run(main())

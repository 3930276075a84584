"""An outage what-if: the first choice fails, the router fails over inside one route()."""

import asyncio

from powertools.router import FailureProfile, LLMRouter, SimulatedProvider

sim = SimulatedProvider(latency_scale=0)
sim.set_failures("gpt-4o-mini", FailureProfile(server_error=1.0))  # every call: HTTP 503
router = LLMRouter(providers=[sim], explore=0, breaker_threshold=2)


async def main() -> None:
    for _ in range(3):
        result = await router.route(task="Generate Python function", complexity=0.7)
        tried = ", ".join(f"{a.model} {a.outcome}" for a in result.attempts)
        print(f"answered by {result.model} after: {tried}")
    print("circuit of gpt-4o-mini:", router.stats()["simulated/gpt-4o-mini"]["circuit"])


asyncio.run(main())

"""Stream a routed answer; the finished result (cost, model, attempts) comes at the end."""

import asyncio

from powertools.router import LLMRouter, SimulatedProvider

router = LLMRouter(providers=[SimulatedProvider(latency_scale=0)], explore=0)


async def main() -> None:
    stream = router.route_stream(task="Write a haiku about budgets", complexity=0.3)
    pieces = [piece async for piece in stream]
    assert stream.result is not None
    print(f"{len(pieces)} pieces from {stream.result.model}, cost ${stream.result.cost}")


asyncio.run(main())

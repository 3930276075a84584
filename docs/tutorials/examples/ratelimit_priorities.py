"""Priority queues: interactive calls go ahead of batch jobs, nobody starves, tenants share."""

from __future__ import annotations

import asyncio

from powertools.ratelimit import RateLimiter
from powertools.ratelimit.testing import FakeClock

clock = FakeClock()
limiter = RateLimiter(requests_per_second=1, clock=clock, sleep=clock.wait)
served: list[str] = []


async def call(label: str, priority: str, tenant: str | None = None) -> None:
    async with limiter.acquire(priority=priority, tenant=tenant):
        served.append(label)


async def main() -> None:
    async with limiter.acquire():  # the first second's capacity is taken
        pass
    # a batch job queues 6 calls, then a user arrives with 2 interactive ones
    tasks = [asyncio.create_task(call(f"batch-{i}", "low")) for i in range(6)]
    await clock.settle()
    tasks += [asyncio.create_task(call(f"user-{i}", "critical")) for i in range(2)]
    await clock.settle()
    await clock.aadvance(3)
    print("first three served:", served[:3])
    assert served[:2] == ["user-0", "user-1"]  # they jumped the queue

    await clock.aadvance(10)
    await asyncio.gather(*tasks)
    assert len(served) == 8

    # Weighted, not strict: low priority still gets a share while high keeps arriving.
    served.clear()
    async with limiter.acquire():  # take this second's capacity: everybody queues
        pass
    tasks = [asyncio.create_task(call(f"low-{i}", "low")) for i in range(3)]
    tasks += [asyncio.create_task(call(f"high-{i}", "high")) for i in range(12)]
    await clock.settle()
    await clock.aadvance(30)
    await asyncio.gather(*tasks)
    print("mixed order:", served)
    assert served[0] == "high-0"  # high goes first...
    assert served.index("low-1") < served.index("high-11")  # ...but low is not starved

    # Within one priority, tenants take turns: a noisy tenant cannot starve a quiet one.
    served.clear()
    async with limiter.acquire():
        pass
    tasks = [asyncio.create_task(call(f"noisy-{i}", "normal", "noisy")) for i in range(6)]
    tasks += [asyncio.create_task(call(f"quiet-{i}", "normal", "quiet")) for i in range(2)]
    await clock.settle()
    await clock.aadvance(20)
    await asyncio.gather(*tasks)
    print("fair order:", served)
    assert served.index("quiet-1") < served.index("noisy-3")  # not behind all six noisy calls


if __name__ == "__main__":
    asyncio.run(main())

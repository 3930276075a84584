"""One limit for a whole fleet of processes, through Redis (needs the [redis] extra).

Run it in several terminals at once: together they never exceed 120 requests a minute.
"""

from __future__ import annotations

import asyncio
import os
import sys

from powertools.ratelimit import RateLimiter
from powertools.ratelimit.backends.redis import RedisStore


async def main(url: str, calls: int) -> None:
    store = RedisStore(url, on_failure="local", fleet_size=4)
    limiter = RateLimiter(
        name="openai", requests_per_minute=6_000, tokens_per_minute=1_000_000, store=store
    )
    for i in range(calls):
        async with limiter.acquire(tokens=500, priority="normal") as reservation:
            await reservation.asettle(tokens=350)
        print(f"call {i} admitted")
    await store.aclose()


if __name__ == "__main__":
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    asyncio.run(main(redis_url, int(sys.argv[1]) if len(sys.argv) > 1 else 3))

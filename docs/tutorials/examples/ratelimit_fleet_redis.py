"""Share one limit across a fleet through Redis (needs powertools-ratelimit[redis]).

Set REDIS_URL (default ``redis://127.0.0.1:6379/0``). Two limiters stand for two processes.
"""

from __future__ import annotations

import asyncio
import os
import uuid

from powertools.ratelimit import RateLimiter, RateLimitTimeout
from powertools.ratelimit.backends.redis import RedisStore

URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
NAME = f"openai-{uuid.uuid4().hex[:8]}"  # every process of the fleet uses the same name


def process() -> tuple[RateLimiter, RedisStore]:
    store = RedisStore(URL, on_failure="local", fleet_size=2)
    # 6 requests a minute for the whole fleet: one every 10 s, whoever makes it
    return RateLimiter(name=NAME, requests_per_minute=6, store=store), store


async def main() -> None:
    (first, first_store), (second, second_store) = process(), process()
    async with first.acquire():
        print("process 1 made a call")
    try:
        async with second.acquire(timeout=0):
            raise AssertionError("process 2 should see process 1's call")
    except RateLimitTimeout:
        print("process 2 must wait: the fleet's limit is used for the next 10 s")
    await first_store.aclose()
    await second_store.aclose()


if __name__ == "__main__":
    asyncio.run(main())

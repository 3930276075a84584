"""The powertools side of the rate-limit migration guide."""

from __future__ import annotations

import asyncio

from powertools.ratelimit import RateLimiter, RateLimitTimeout
from powertools.ratelimit.testing import FakeClock

clock = FakeClock()


async def aiolimiter_style() -> int:
    # --8<-- [start:aiolimiter]
    # aiolimiter: limiter = AsyncLimiter(100, 60); async with limiter: ...
    limiter = RateLimiter(requests_per_minute=100, clock=clock, sleep=clock.wait)

    async with limiter.acquire():
        ...  # one call
    # --8<-- [end:aiolimiter]
    return 1


async def tokens_too() -> int:
    # --8<-- [start:tokens]
    # what aiolimiter cannot say: requests AND tokens, reserved then settled
    limiter = RateLimiter(
        requests_per_minute=500, tokens_per_minute=30_000, clock=clock, sleep=clock.wait
    )
    async with limiter.acquire(tokens=1_200, priority="high") as reservation:
        used = 700  # response.usage.total_tokens
        reservation.settle(tokens=used)
    # --8<-- [end:tokens]
    return used


async def limits_style() -> bool:
    # --8<-- [start:limits]
    # limits: limiter.hit(parse("10/minute"), "user-42") -> False when over the limit
    per_user: dict[str, RateLimiter] = {}

    async def hit(user: str) -> bool:
        limiter = per_user.setdefault(
            user, RateLimiter(requests_per_minute=10, clock=clock, sleep=clock.wait)
        )
        try:
            async with limiter.acquire(timeout=0):  # timeout=0: a try, no wait
                return True
        except RateLimitTimeout:
            return False

    # --8<-- [end:limits]
    first = await hit("user-42")
    second = await hit("user-42")  # 10 a minute, smooth: the next slot is 6 s away
    other = await hit("user-7")  # another user has a limit of their own
    return first and not second and other


async def main() -> None:
    assert await aiolimiter_style() == 1
    assert await tokens_too() == 700
    assert await limits_style()
    print("rate-limit migration snippets ran")


if __name__ == "__main__":
    asyncio.run(main())

"""Cap requests and tokens per minute: reserve the estimate, settle the real usage."""

from __future__ import annotations

import asyncio

from powertools.ratelimit import RateLimiter, RateLimitTimeout
from powertools.ratelimit.testing import FakeClock

clock = FakeClock()  # virtual time: a minute of traffic runs in milliseconds
limiter = RateLimiter(
    requests_per_minute=60,
    tokens_per_minute=10_000,
    burst={"requests_per_minute": 60, "tokens_per_minute": 10_000},  # a full minute at once
    clock=clock,
    sleep=clock.wait,
)
admitted: list[tuple[int, float]] = []


async def ask(i: int, prompt_tokens: int, max_tokens: int) -> None:
    estimate = prompt_tokens + max_tokens  # providers count the prompt plus max_tokens
    async with limiter.acquire(tokens=estimate) as reservation:
        used = prompt_tokens + max_tokens // 4  # the answer was shorter than allowed
        reservation.settle(tokens=used)  # the unused 3/4 of max_tokens goes back
    admitted.append((i, clock()))


async def main() -> None:
    # ten calls of 1,000 + 1,000 tokens: 20,000 estimated, 12,500 used
    tasks = [asyncio.create_task(ask(i, 1_000, 1_000)) for i in range(10)]
    await clock.settle()
    now = [i for i, t in admitted if t == 0.0]
    print(f"admitted at once: {len(now)} (the token estimate fills the minute)")
    assert 0 < len(now) < 10

    await clock.aadvance(60)
    await asyncio.gather(*tasks)
    print(f"all {len(admitted)} admitted by t={max(t for _, t in admitted):.0f}s")
    assert len(admitted) == 10
    assert max(t for _, t in admitted) <= 60

    # A caller that cannot wait says so: RateLimitTimeout, having taken nothing.
    big = RateLimiter(tokens_per_minute=1_000, clock=clock, sleep=clock.wait)
    async with big.acquire(tokens=1_000):
        pass
    try:
        async with big.acquire(tokens=1_000, timeout=0):
            pass
    except RateLimitTimeout:
        print("no room now: RateLimitTimeout, nothing taken")


if __name__ == "__main__":
    asyncio.run(main())

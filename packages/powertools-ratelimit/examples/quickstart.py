"""Limit an async LLM call by requests and tokens, with a priority, and settle actual usage."""

from __future__ import annotations

import asyncio

from powertools.ratelimit import RateLimiter, rate_limit

limiter = RateLimiter(requests_per_minute=600, tokens_per_minute=90_000)


async def fake_llm(prompt: str, max_tokens: int) -> dict[str, int]:
    await asyncio.sleep(0)
    return {"prompt_tokens": len(prompt.split()), "completion_tokens": max_tokens // 2}


async def ask(prompt: str, max_tokens: int = 256) -> dict[str, int]:
    estimate = len(prompt.split()) + max_tokens  # as providers count: prompt + max_tokens
    async with limiter.acquire(tokens=estimate, priority="high") as reservation:
        usage = await fake_llm(prompt, max_tokens)
        reservation.settle(tokens=usage["prompt_tokens"] + usage["completion_tokens"])
    return usage


@rate_limit(requests_per_minute=60, tokens="max_tokens", priority="low")
async def summarise(text: str, max_tokens: int = 128) -> str:
    return text[:max_tokens]


async def main() -> None:
    print(await ask("Write a haiku about rate limits"))
    print(await summarise("A long document ..."))
    print(limiter)


if __name__ == "__main__":
    asyncio.run(main())

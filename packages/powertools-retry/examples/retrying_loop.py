"""The retry policy as a loop you write yourself, bounded by a deadline for everything inside."""

from __future__ import annotations

import asyncio

from powertools.retry import deadline, remaining_deadline, retrying

attempts: list[int] = []


async def fetch() -> str:
    attempts.append(1)
    if len(attempts) < 3:
        raise TimeoutError("upstream timed out")
    return "payload"


async def main() -> None:
    with deadline(5.0):
        async for attempt in retrying(max_attempts=5, base_delay=0.01, jitter="equal"):
            with attempt:
                budget = remaining_deadline()
                assert budget is not None
                # give each attempt what is left of the overall deadline
                result = await asyncio.wait_for(fetch(), timeout=budget)
    print(f"{result} after {len(attempts)} attempts")


if __name__ == "__main__":
    asyncio.run(main())

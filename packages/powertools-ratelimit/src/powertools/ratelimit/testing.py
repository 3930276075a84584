"""For your tests: a virtual clock that makes rate-limited code run instantly.

``FakeClock`` is both the clock and the sleep of a limiter. ``await clock.advance(s)`` moves
time forward, waking every sleeper in deadline order as it passes, so a minute of limited
traffic runs in milliseconds and gives the same result every time.

>>> import asyncio
>>> from powertools.ratelimit import RateLimiter
>>> async def main():
...     clock = FakeClock()
...     limiter = RateLimiter(requests_per_second=2, clock=clock, sleep=clock.sleep)
...     done = []
...     async def call(i):
...         async with limiter.acquire():
...             done.append((i, clock()))
...     tasks = [asyncio.create_task(call(i)) for i in range(3)]
...     await clock.advance(1.0)
...     await asyncio.gather(*tasks)
...     return done
>>> asyncio.run(main())
[(0, 0.0), (1, 0.5), (2, 1.0)]
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

__all__ = ["FakeClock"]


class FakeClock:
    """A manual clock with async and blocking sleeps that only end when time is advanced."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        """Sleep on the virtual clock (pass as a limiter's ``sleep``)."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), next(self._seq), fut))
        await fut

    def blocking_sleep(self, seconds: float) -> None:
        """A blocking sleep that just moves the clock (pass as ``blocking_sleep``)."""
        self.now += max(seconds, 0.0)

    async def settle(self, rounds: int = 20) -> None:
        """Let every task that can run do so before time moves again."""
        for _ in range(rounds):
            await asyncio.sleep(0)

    async def advance(self, seconds: float, rounds: int = 5) -> None:
        """Move time forward by ``seconds``, waking sleepers in order as their time comes.

        After each wake-up the loop runs ``rounds`` times, enough for a woken task to react
        and go back to sleep; raise it if your code chains more steps between sleeps.
        """
        target = self.now + seconds
        await self.settle()
        while self._sleepers and self._sleepers[0][0] <= target:
            when, _, fut = heapq.heappop(self._sleepers)
            self.now = max(self.now, when)
            if not fut.done():
                fut.set_result(None)
                await self.settle(rounds)
        self.now = target
        await self.settle()

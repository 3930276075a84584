"""For your tests: a virtual clock that makes rate-limited code run instantly.

``FakeClock`` has the shape every powertools ``testing`` module shares (``now``, ``time()``,
``monotonic()``, sync ``advance``/``sleep``, ``async asleep``), plus manually driven sleepers:
pass ``clock.wait`` as a limiter's ``sleep``; ``await clock.aadvance(s)`` moves time forward,
waking every waiter in deadline order as it passes, so a minute of limited traffic runs in
milliseconds and gives the same result every time.

>>> import asyncio
>>> from powertools.ratelimit import RateLimiter
>>> async def main():
...     clock = FakeClock()
...     limiter = RateLimiter(requests_per_second=2, clock=clock, sleep=clock.wait)
...     done = []
...     async def call(i):
...         async with limiter.acquire():
...             done.append((i, clock()))
...     tasks = [asyncio.create_task(call(i)) for i in range(3)]
...     await clock.aadvance(1.0)
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
    """A manual clock: the shared shape, and async waiters that end only when time is advanced.

    >>> clock = FakeClock(start=10.0)
    >>> clock.advance(2.5); clock.sleep(0.5); clock(), clock.time(), clock.monotonic()
    (13.0, 13.0, 13.0)
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def __call__(self) -> float:
        return self.now

    def time(self) -> float:
        """The virtual time (``now``)."""
        return self.now

    def monotonic(self) -> float:
        """The virtual time (``now``)."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (>= 0) and wake every ``wait`` that is now due."""
        if not seconds >= 0:
            raise ValueError(f"advance({seconds!r}): time never goes back; pass seconds >= 0")
        self.now += seconds
        while self._sleepers and self._sleepers[0][0] <= self.now:
            fut = heapq.heappop(self._sleepers)[2]
            if not fut.done():
                fut.set_result(None)

    def sleep(self, seconds: float) -> None:
        """A blocking sleep that just moves the clock (pass as a limiter's ``blocking_sleep``)."""
        self.advance(max(seconds, 0.0))

    blocking_sleep = sleep  # the name the limiter's argument has

    async def asleep(self, seconds: float) -> None:
        """Move the clock by ``seconds``, then let the loop run once."""
        self.advance(max(seconds, 0.0))
        await asyncio.sleep(0)

    async def wait(self, seconds: float) -> None:
        """Sleep on the virtual clock until time is advanced past it (a limiter's ``sleep``)."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._seq), fut))
        await fut

    async def settle(self, rounds: int = 20) -> None:
        """Let every task that can run do so before time moves again."""
        for _ in range(rounds):
            await asyncio.sleep(0)

    async def aadvance(self, seconds: float, rounds: int = 5) -> None:
        """Move time forward by ``seconds``, waking waiters in order as their time comes.

        After each wake-up the loop runs ``rounds`` times, enough for a woken task to react
        and go back to waiting; raise it if your code chains more steps between waits.
        """
        if not seconds >= 0:
            raise ValueError(f"aadvance({seconds!r}): time never goes back; pass seconds >= 0")
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

"""A state machine over RateLimiter: waits, timeouts, cancellations, settles and releases.

Whatever happens, the concurrency slots held equal the reservations held, the queue holds
exactly the callers still waiting, and once everyone is gone the full capacity is back.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from powertools.ratelimit import RateLimiter, RateLimitTimeout, Reservation
from powertools.ratelimit.testing import FakeClock


class LimiterMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.clock = FakeClock()
        self.limiter = RateLimiter(
            tokens_per_second=100,
            burst={"tokens_per_second": 100},
            max_concurrent=3,
            clock=self.clock,
            sleep=self.clock.wait,
        )
        self.pending: list[asyncio.Task[Reservation]] = []
        self.held: list[Reservation] = []

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def collect(self) -> None:
        for task in [t for t in self.pending if t.done()]:
            self.pending.remove(task)
            if not task.cancelled() and task.exception() is None:
                self.held.append(task.result())
            elif not task.cancelled():
                assert isinstance(task.exception(), RateLimitTimeout)

    @rule(
        tokens=st.integers(1, 100),
        priority=st.sampled_from(["critical", "high", "normal", "low"]),
        timeout=st.none() | st.floats(0, 3),
    )
    def wait(self, tokens: int, priority: str, timeout: float | None) -> None:
        reservation = self.limiter.acquire(tokens, priority=priority, timeout=timeout)
        self.pending.append(self.loop.create_task(reservation.__aenter__()))
        self.run(self.clock.settle())
        self.collect()

    @rule(seconds=st.floats(0, 2))
    def advance(self, seconds: float) -> None:
        self.run(self.clock.aadvance(seconds))
        self.collect()

    @precondition(lambda self: self.pending)
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        task = data.draw(st.sampled_from(self.pending))
        task.cancel()
        self.run(self.clock.settle())
        self.collect()

    @precondition(lambda self: self.held)
    @rule(data=st.data(), actual=st.integers(0, 100))
    def settle_and_release(self, data: st.DataObject, actual: int) -> None:
        reservation = data.draw(st.sampled_from(self.held))
        reservation.settle(tokens=actual)
        reservation.release()
        self.held.remove(reservation)
        self.run(self.clock.settle())
        self.collect()

    @invariant()
    def slots_match_reservations(self) -> None:
        assert self.limiter._in_flight == len(self.held)
        assert self.limiter._in_flight <= 3

    @invariant()
    def queue_holds_the_waiting(self) -> None:
        assert self.limiter.queued == len([t for t in self.pending if not t.done()])

    def teardown(self) -> None:
        for task in self.pending:
            task.cancel()
        self.run(self.clock.settle())
        for reservation in self.held:
            reservation.release()
        self.run(self.clock.aadvance(10.0))
        assert self.limiter.queued == 0
        assert self.limiter._in_flight == 0
        full = self.limiter.acquire(100, timeout=0)
        self.run(full.__aenter__())  # the whole burst is back: nothing leaked
        self.loop.close()


TestLimiterMachine = LimiterMachine.TestCase
TestLimiterMachine.settings = settings(stateful_step_count=30, deadline=None)

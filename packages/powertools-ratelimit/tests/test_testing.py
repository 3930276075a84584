"""The public FakeClock has the shape every package's testing module shares (issue 19)."""

from __future__ import annotations

import asyncio

import pytest

from powertools.ratelimit.testing import FakeClock
from powertools_testkit import check_fake_clock


def test_fake_clock_has_the_shared_shape() -> None:
    check_fake_clock(FakeClock)


def test_sync_advance_wakes_the_waiters_now_due() -> None:
    async def main() -> list[float]:
        clock = FakeClock()
        woke: list[float] = []

        async def waiter(seconds: float) -> None:
            await clock.wait(seconds)
            woke.append(clock.now)

        tasks = [asyncio.create_task(waiter(s)) for s in (1.0, 3.0)]
        await asyncio.sleep(0)
        clock.advance(2.0)  # wakes the 1 s waiter only
        await asyncio.sleep(0)
        assert woke == [2.0]
        await clock.aadvance(1.0)
        await asyncio.gather(*tasks)
        return woke

    assert asyncio.run(main()) == [2.0, 3.0]


def test_aadvance_refuses_negative_time() -> None:
    with pytest.raises(ValueError, match="never goes back"):
        asyncio.run(FakeClock().aadvance(-1.0))


def test_a_cancelled_waiter_is_skipped_and_a_zero_wait_only_yields() -> None:
    async def main() -> list[str]:
        clock = FakeClock()
        woke: list[str] = []

        async def waiter(name: str, seconds: float) -> None:
            await clock.wait(seconds)
            woke.append(name)

        gone = asyncio.create_task(waiter("gone", 1.0))
        kept = asyncio.create_task(waiter("kept", 1.0))
        now = asyncio.create_task(waiter("now", 0.0))
        await asyncio.sleep(0)
        gone.cancel()
        await asyncio.gather(gone, now, return_exceptions=True)
        assert woke == ["now"]  # a zero wait ends without time moving
        assert clock.now == 0.0
        clock.advance(1.0)  # the cancelled sleeper is passed over, the other woken
        await kept
        return woke

    assert asyncio.run(main()) == ["now", "kept"]

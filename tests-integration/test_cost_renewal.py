"""A call that runs longer than the reservation TTL keeps its hold, in real time.

The keeper thread (memory and SQLite ledgers) and the event-loop timers (PostgreSQL and Redis)
extend a running span's reservation; without them the hold would expire after 0.3 s and the
second call below would take money the first is about to spend.
"""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
from pathlib import Path

import pytest

from powertools.cost import (
    BudgetExceededError,
    BudgetManager,
    CostTracker,
    MemoryLedger,
    Usage,
    open_ledger,
)

TTL = 0.3
RUN = 1.2  # four TTLs


def tracker_on(url: str) -> CostTracker:
    tracker = CostTracker(ledger=open_ledger(url), reservation_ttl=TTL)
    tracker.budgets.add(1, window="total", name=f"renewal-{uuid.uuid4().hex}")
    return tracker


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_sync_span_keeps_its_hold_past_the_ttl(kind: str, tmp_path: Path) -> None:
    url = "memory://" if kind == "memory" else f"sqlite:///{tmp_path}/ledger.db"
    tracker = tracker_on(url)
    with tracker.track_call("slow", "gpt-4o", reserve_usd="0.9") as span:
        time.sleep(RUN)
        with pytest.raises(BudgetExceededError), tracker.track_call("other", reserve_usd="0.2"):
            pass
        span.record(Usage(input=1000, output=100))
    with tracker.track_call("after", reserve_usd="0.9"):
        pass  # the slow call spent only $0.0035: the rest was released


@pytest.mark.integration
async def test_an_async_span_on_redis_keeps_its_hold_past_the_ttl(redis_url: str) -> None:
    tracker = tracker_on(redis_url)
    try:
        async with tracker.track_call("slow", "gpt-4o", reserve_usd="0.9") as span:
            await asyncio.sleep(RUN)
            with pytest.raises(BudgetExceededError):
                async with tracker.track_call("other", reserve_usd="0.2"):
                    pass
            span.record(Usage(input=1000, output=100))
        async with tracker.track_call("after", reserve_usd="0.9"):
            pass
    finally:
        await tracker.ledger.aclose()


@pytest.mark.integration
async def test_a_crashed_callers_hold_still_expires(redis_url: str) -> None:
    tracker = tracker_on(redis_url)
    try:
        await tracker.budgets.reserve("0.9")  # never settled, never renewed
        await asyncio.sleep(TTL + 0.1)
        async with tracker.track_call("next", reserve_usd="0.9"):
            pass
    finally:
        await tracker.ledger.aclose()


class AsyncOnly:
    """A memory ledger seen only through its async methods, as PostgreSQL and Redis are."""

    def __init__(self) -> None:
        self._inner = MemoryLedger()

    def __getattr__(self, name: str) -> object:
        if name.endswith("_sync"):
            raise AttributeError(name)
        return getattr(self._inner, name)


@pytest.mark.integration
async def test_an_abandoned_async_reservation_is_not_kept_alive_by_its_timer() -> None:
    budgets = BudgetManager(AsyncOnly(), reservation_ttl=TTL)  # type: ignore[arg-type]
    budgets.add(1, window="total")
    await budgets.reserve(1, keep_alive=True)  # dropped at once: nobody will settle it
    gc.collect()
    await asyncio.sleep(TTL + 0.2)  # its renewal timer fires in between, and finds nothing
    await budgets.reserve(1)  # the abandoned hold expired

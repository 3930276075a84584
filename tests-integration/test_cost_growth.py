"""Nothing grows without bound: memory stays flat however many calls are tracked (issue 13.11).

``POWERTOOLS_COST_STRESS_CALLS`` sets how many (the stress session runs 1,000,000).
"""

from __future__ import annotations

import gc
import os
import tracemalloc

from powertools.cost import CostTracker, MemoryLedger, Usage
from powertools.cost.testing import FakeClock

CALLS = int(os.environ.get("POWERTOOLS_COST_STRESS_CALLS", "60000"))


def test_memory_is_flat_over_many_tracked_calls() -> None:
    clock = FakeClock(1_764_547_200.0)
    ledger = MemoryLedger()
    tracker = CostTracker(budget_usd=10**9, ledger=ledger, clock=clock)
    usage = Usage(input=1200, cache_read=800, output=350)

    def track(n: int) -> None:
        for i in range(n):
            with tracker.track_call(f"task-{i % 5}", "gpt-4o", user=f"u{i % 50}") as span:
                span.record(usage)
            clock.advance(0.5)  # a call every half second: days and windows roll over

    track(20_000)  # warm: the retained records and today's aggregates are full
    tracemalloc.start()
    try:
        track(CALLS // 2)  # what is traced now is what the process holds for the long run
        gc.collect()
        middle = tracemalloc.get_traced_memory()[0]
        track(CALLS - CALLS // 2)
        gc.collect()
        end = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    print(f"\n{CALLS:,} calls: traced memory {middle / 1e6:.2f} MB half way, {end / 1e6:.2f} MB")
    # without bounds each record (~400 bytes, twice: tracker and ledger) would stay: +24 MB
    assert end - middle < 1_000_000, (middle, end)
    assert len(tracker.records) <= 11_000
    assert len(ledger.records_sync()) <= 11_000
    report = tracker.get_daily_report()
    assert report.task_count > 0
    assert tracker.get_total() == usd_of(usage) * (20_000 + CALLS)


def usd_of(usage: Usage) -> object:
    from powertools.cost import cost_of

    return cost_of(usage, "gpt-4o")

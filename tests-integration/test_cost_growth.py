"""Nothing grows without bound: memory stays flat however many calls are tracked (issue 13.11).

``POWERTOOLS_COST_STRESS_CALLS`` sets how many (the stress session runs 1,000,000).
"""

from __future__ import annotations

import gc
import os
import tracemalloc

import pytest

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


@pytest.mark.integration
async def test_redis_keys_expire_after_their_window_and_the_call_log_is_spread(
    redis_url: str,
) -> None:
    import time
    import uuid

    from redis.cluster import key_slot

    from powertools.cost import CallRecord
    from powertools.cost.backends.redis import RedisLedger, window_end

    prefix = f"growth-{uuid.uuid4().hex}"
    ledger = RedisLedger.from_url(redis_url, prefix=prefix, retain_days=30)
    month = time.strftime("%Y-%m", time.gmtime())
    monthly, forever = f"b:{month}", "b:all"
    try:
        for key in (monthly, forever):
            now = time.time()
            assert await ledger.reserve(key, 100, 10, "r1", expires_at=now + 60, now=now)
            await ledger.commit(key, "r1", 5)
            assert await ledger.first_alert(key, "80")
        client = ledger.client
        end = window_end(monthly)
        assert end is not None
        held = f"{{{prefix}:{monthly}}}:holds"
        assert await ledger.reserve(
            monthly, 100, 10, "r0", expires_at=time.time() + 60, now=time.time()
        )
        for suffix in ("spent", "holds", "expiry", "done-at", "alerts"):
            ttl = await client.ttl(f"{{{prefix}:{monthly}}}:{suffix}")
            assert 0 < ttl <= end + 31 * 86400 - time.time() + 5, suffix
        await ledger.release(monthly, "r0")
        assert await client.exists(held) == 0
        assert await client.ttl(f"{{{prefix}:{forever}}}:spent") == -1  # a total never ends
        # the idempotency set keeps only the last day of ids
        done = f"{{{prefix}:{monthly}}}:done-at"
        await client.zadd(done, {"ancient": time.time() - 2 * 86400})
        assert await ledger.reserve(
            monthly, 100, 10, "r2", expires_at=time.time() + 60, now=time.time()
        )
        await ledger.commit(monthly, "r2", 5)
        assert await client.zrange(done, 0, -1) == [b"r1", b"r2"]
        assert await ledger.commit(monthly, "r2", 5) == 10  # still idempotent
        at = time.time()
        for i in range(64):
            record = CallRecord(f"c{i}", f"c{i}", at + i, "t", "gpt-4o", None, (), None, i)
            await ledger.append(record)
        keys = [k.decode() async for k in client.scan_iter(f"{{{prefix}:calls:*")]
        assert len({key_slot(k.encode()) for k in keys}) > 4  # spread over the cluster
        for k in keys:
            assert 0 < await client.ttl(k) <= 31 * 86400
        stored = await ledger.records()
        assert [r.id for r in stored] == [f"c{i}" for i in range(64)]
        assert [r.id for r in await ledger.records(since=at + 60)] == ["c60", "c61", "c62", "c63"]
    finally:
        await ledger.client.delete(*[k async for k in ledger.client.scan_iter(f"{{{prefix}*")])
        await ledger.aclose()

"""The spec's own form on a shared Redis ledger: 1,000 concurrent unsized calls, $0 overspend."""

from __future__ import annotations

import asyncio
import random
import uuid
from decimal import Decimal

import pytest

from powertools.cost import BudgetExceededError, CostTracker, Usage
from powertools.cost.backends.redis import RedisLedger


@pytest.mark.integration
async def test_one_thousand_spec_form_calls_on_redis_never_overspend(redis_url: str) -> None:
    rng = random.Random(1013)
    ledger = RedisLedger.from_url(redis_url, prefix=f"spec-{uuid.uuid4().hex}")
    # two trackers (two "processes") share the one budget through the ledger
    trackers = [CostTracker(budget_usd=1.0, alert_threshold_usd=0.8, ledger=ledger) for _ in "ab"]
    refused = 0

    async def call(tracker: CostTracker) -> None:
        nonlocal refused
        try:
            async with tracker.track_call(task_name="code_generation", model="gpt-4") as span:
                await asyncio.sleep(rng.random() / 100)
                span.record(Usage(input=rng.randint(10, 4096), output=rng.randint(10, 8192)))
        except BudgetExceededError:
            refused += 1

    try:
        await asyncio.gather(*(call(trackers[i % 2]) for i in range(1000)))
        status = (await trackers[0].budgets.astatus())[0]
    finally:
        await ledger.aclose()
    spent = sum((t.get_total() for t in trackers), Decimal(0))
    assert spent <= Decimal(1)
    assert status.spent == spent  # nothing lost or doubled
    assert status.held == 0
    assert refused >= 990

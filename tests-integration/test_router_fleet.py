"""Four processes routing against one shared budget ledger (Redis, PostgreSQL): $0 overspend.

Each process runs its own ``LLMRouter`` on the simulated provider (no latency) with a
``BudgetManager`` over the shared ledger; every attempt holds its worst case before it is
sent. The processes' learning evidence goes to one shared session store, by compare-and-swap.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from decimal import Decimal

import pytest

from powertools.cost import open_ledger
from powertools.cost._money import fd_from_usd

PROCESSES = 4
LIMIT = Decimal("0.20")

WORKER = r"""
import asyncio, json, sys
from powertools.cost import BudgetExceededError, BudgetManager, open_ledger
from powertools.router import AllProvidersFailedError, LLMRouter, SimulatedModel, SimulatedProvider

async def main(url, budget, seed, store):
    ledger = open_ledger(url)
    budgets = BudgetManager(ledger)
    budgets.add("0.20", window="total", name=budget)
    sim = SimulatedProvider([SimulatedModel("gpt-4o", answer_tokens=300)], latency_scale=0,
                            seed=int(seed))
    router = LLMRouter(providers=[sim], cloud_providers=[], budget=budgets, explore=0,
                       rate_limits=False, learning_store=store, name=budget)
    spent, refused = 0, 0

    async def one():
        nonlocal spent, refused
        try:
            result = await router.route(task="write a haiku about budgets", complexity=0.5,
                                        max_tokens=600)
        except (BudgetExceededError, AllProvidersFailedError):
            refused += 1
            return
        spent += int(result.cost * 10**15)
        router.feedback(result, 1.0)

    await asyncio.gather(*(one() for _ in range(150)))
    await router.aclose()
    await ledger.aclose()
    print(json.dumps([spent, refused]))

asyncio.run(main(*sys.argv[1:]))
"""


def run_fleet(url: str, store: str) -> None:
    budget = f"router-fleet-{uuid.uuid4().hex[:12]}"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, budget, str(seed), store],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(PROCESSES)
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=180)
        assert worker.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))

    async def totals() -> tuple[int, int]:
        ledger = open_ledger(url)
        try:
            return await ledger.totals(f"{budget}:all", 0.0)
        finally:
            await ledger.aclose()

    spent, held = asyncio.run(totals())
    assert held == 0
    assert spent == sum(s for s, _ in results)  # every committed cost is in the ledger
    assert spent <= fd_from_usd(LIMIT)  # $0 overspend
    assert sum(r for _, r in results) > 0  # the budget really was the constraint

    async def evidence() -> dict[str, list[float]]:
        from powertools.router import SessionLearningStore

        shared, _ = await SessionLearningStore(store, name=budget).load()
        return shared

    routed = PROCESSES * 150 - sum(r for _, r in results)
    assert asyncio.run(evidence())["simulated/gpt-4o|2"][0] == routed  # no feedback lost


@pytest.mark.integration
@pytest.mark.slow
def test_four_routers_on_redis(redis_url: str) -> None:
    run_fleet(redis_url, redis_url)


@pytest.mark.integration
@pytest.mark.slow
def test_four_routers_on_postgres(postgres_dsn: str, redis_url: str) -> None:
    run_fleet(postgres_dsn, redis_url)

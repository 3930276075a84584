"""Eight processes on one shared ledger (PostgreSQL, Redis, Redis Cluster, SQLite): $0 overspend."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from powertools.cost import open_ledger
from powertools.cost._money import fd_from_usd

PROCESSES = 8
LIMIT = Decimal("0.05")

WORKER = r"""
import asyncio, random, sys
from powertools.cost import BudgetExceededError, CostTracker, open_ledger
from powertools.cost.testing import openai_response

async def main(url, budget, seed):
    rng = random.Random(seed)
    ledger = open_ledger(url)
    tracker = CostTracker(ledger=ledger)
    tracker.budgets.add("0.05", window="total", name=budget)
    refused = 0

    async def call():
        nonlocal refused
        prompt, limit = rng.randint(100, 4000), rng.randint(10, 1500)
        try:
            async with tracker.track_call("t", model="gpt-4o", prompt_tokens=prompt,
                                          max_tokens=limit) as span:
                await asyncio.sleep(rng.random() / 100)
                span.record(openai_response("gpt-4o", prompt, rng.randint(0, limit)))
        except BudgetExceededError:
            refused += 1

    await asyncio.gather(*(call() for _ in range(40)))
    spent = sum(r.cost_fd for r in tracker.records)
    await ledger.aclose()
    print(spent, refused)

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


def run_fleet(url: str) -> None:
    budget = f"fleet-{uuid.uuid4().hex}"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, budget, str(seed)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(PROCESSES)
    ]
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        spent, refused = out.split()
        results.append((int(spent), int(refused)))

    async def totals() -> tuple[int, int]:
        ledger = open_ledger(url)
        try:
            return await ledger.totals(f"{budget}:all", 0.0)
        finally:
            await ledger.aclose()

    spent, held = asyncio.run(totals())
    assert held == 0
    assert spent == sum(s for s, _ in results)  # no lost or doubled update
    assert spent <= fd_from_usd(LIMIT)  # $0 overspend
    assert sum(r for _, r in results) > 0  # the budget really was the constraint


@pytest.mark.integration
@pytest.mark.slow
def test_eight_processes_on_postgres(postgres_dsn: str) -> None:
    run_fleet(postgres_dsn)


@pytest.mark.integration
@pytest.mark.slow
def test_eight_processes_on_redis(redis_url: str) -> None:
    run_fleet(redis_url)


@pytest.mark.integration
@pytest.mark.slow
def test_eight_processes_on_redis_cluster(redis_cluster_url: str) -> None:
    run_fleet(redis_cluster_url.replace("redis://", "redis+cluster://", 1))


@pytest.mark.slow
def test_eight_processes_on_sqlite(tmp_path: Path) -> None:
    run_fleet(f"sqlite:///{tmp_path}/fleet.db")

"""The whole stack under load, against the local fake provider server (real HTTP on 127.0.0.1).

Many concurrent ``Stack.route()`` calls, over OpenAI and Anthropic wire formats, with faults
injected: the budget is never overspent, the only errors are the ones the faults or the
budget explain, and memory does not grow from batch to batch. ``nox -s stress`` runs it at
full size (``POWERTOOLS_STACK_LOAD_ROUTES=10000``) and prints the figures.
"""

from __future__ import annotations

import asyncio
import gc
import os
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

from powertools import Stack
from powertools.cost import BudgetExceededError
from powertools.router import AllProvidersFailedError
from powertools.router.providers.anthropic import AnthropicProvider
from powertools.router.providers.openai import OpenAIProvider
from powertools.router.testing import FakeProviderServer

ROUTES = int(os.environ.get("POWERTOOLS_STACK_LOAD_ROUTES", "200"))
BATCHES = int(os.environ.get("POWERTOOLS_STACK_LOAD_BATCHES", "3"))
KEY = "sk-fake-load-000000000000"


def _stack(tmp_path: Path, server: FakeProviderServer, budget: Decimal) -> Stack:
    providers = [
        OpenAIProvider(base_url=server.base_url("openai"), api_key=KEY),
        AnthropicProvider(base_url=server.base_url("anthropic"), api_key=KEY),
    ]
    return Stack.from_config(
        overrides={
            # the ledger and the session live on disk: a memory:// store holds every record,
            # which is what it is for, and would hide a leak behind the data
            "cost": {"budget_usd_per_month": budget, "ledger": f"sqlite:///{tmp_path / 'l.db'}"},
            "logging": {"name": "load", "sinks": [f"sqlite:///{tmp_path / 'events.db'}"]},
            "session": {"name": "load", "store": f"file://{tmp_path / 'sessions'}"},
            "ratelimit": {"requests_per_minute": 600_000, "max_concurrent": 64},
            "router": {
                "local_models": [],
                "cloud_providers": [],
                "rate_limits": False,
                "explore": 0.0,
                "deadline": 60.0,
            },
            "retry": {"recovery_timeout": 0.5},
            "stack": {"history_limit": 100},
        },
        objects={"router": {"providers": providers}},
        env={},
        cwd=None,
    )


def _rss() -> int:
    """This process's resident memory in bytes (Linux), after a collection."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


async def _batch(stack: Stack, n: int, offset: int) -> Counter[str]:
    async def one(i: int) -> str:
        try:
            await stack.route(
                f"Summarise ticket {offset + i} in one line.",
                complexity=0.3 if i % 3 else 0.75,
                max_tokens=64,
                user=f"user-{i % 7}",
            )
        except AllProvidersFailedError as exc:
            # allowed only when every attempt met an injected fault, a breaker those faults
            # opened, or a budget that could not hold it
            caused = all(
                a.category in {"transient", "rate_limit", "budget"} or "circuit" in a.reason
                for a in exc.attempts
            )
            return "failed by the faults" if caused else f"failed otherwise: {exc}"
        except Exception as exc:  # counted: the test says which errors are allowed
            return type(exc).__name__
        return "ok"

    return Counter(await asyncio.gather(*(one(i) for i in range(n))))


async def _run(tmp_path: Path, budget: Decimal, faults: int) -> dict[str, Any]:
    async with FakeProviderServer(api_key=KEY, record=False) as server:
        server.reply("Ticket summarised.")
        stack = _stack(tmp_path, server, budget)
        outcomes: Counter[str] = Counter()
        sizes: list[int] = []
        started = time.perf_counter()
        for batch in range(BATCHES):
            server.fail("server_error", times=faults)
            server.fail("rate_limit", times=faults, retry_after=0.01)
            outcomes += await _batch(stack, ROUTES, batch * ROUTES)
            # CostTracker keeps this process's records in memory for its reports, by design;
            # what must not grow is everything else the stack holds per call
            stack.cost.records.clear()
            gc.collect()
            sizes.append(_rss())
        elapsed = time.perf_counter() - started
        spent = Decimal(0)
        for status in stack.cost.budgets.status():
            spent = max(spent, status.spent)
        await stack.router.aclose()
        stack.close()
    return {
        "outcomes": outcomes,
        "sizes": sizes,
        "spent": spent,
        "elapsed": elapsed,
        "routes_per_s": BATCHES * ROUTES / elapsed,
    }


def _report(name: str, figures: dict[str, Any]) -> None:
    print(  # the stress session shows these
        f"\n{name}: {BATCHES} x {ROUTES} routes in {figures['elapsed']:.1f} s "
        f"({figures['routes_per_s']:.0f}/s), outcomes {dict(figures['outcomes'])}, "
        f"spent ${figures['spent']}, resident memory after each batch "
        f"{[round(s / 1e6, 2) for s in figures['sizes']]} MB"
    )


def test_concurrent_routes_with_faults_all_answer_and_memory_stays_flat(tmp_path: Path) -> None:
    figures = asyncio.run(_run(tmp_path, Decimal(1000), faults=20))
    _report("no budget pressure", figures)
    outcomes = figures["outcomes"]
    assert set(outcomes) <= {"ok", "failed by the faults"}, outcomes
    assert outcomes["failed by the faults"] <= 2 * 20 * BATCHES  # at most one per fault
    assert outcomes["ok"] > outcomes["failed by the faults"]
    sizes = figures["sizes"]
    # after the first batch warmed the caches and pools, later batches add (almost) nothing
    growth_per_batch = (sizes[-1] - sizes[1]) / max(1, len(sizes) - 2)
    assert growth_per_batch < 0.02 * sizes[1], sizes


def test_a_budget_smaller_than_the_load_is_never_overspent(tmp_path: Path) -> None:
    budget = Decimal("0.01")
    figures = asyncio.run(_run(tmp_path, budget, faults=5))
    _report("budget $0.01", figures)
    assert figures["spent"] <= budget
    assert set(figures["outcomes"]) <= {"ok", "failed by the faults", BudgetExceededError.__name__}
    assert figures["outcomes"][BudgetExceededError.__name__] > 0

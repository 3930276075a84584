"""The whole stack against LiteLLM's Router, same run, same machine, one core.

Ours: ``Stack.route()`` through every layer (application rate limit, decision, budget hold and
commit, breaker, the cost ledger's record, the session, seven log events to a JSONL file) on
the simulated provider at zero latency. LiteLLM: ``Router.acompletion(..., mock_response=...)``
with ``litellm.max_budget`` set and a logging callback writing one JSON line per call.
Measures routes per second (sequential, and 100 at a time) and µs of overhead per route.
Run: ``uv run --group bench python tools/bench/bench_stack.py`` (``nox -s bench -- stack``).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from powertools import Stack
from powertools.router.providers.simulated import SimulatedProvider

ROUTES = 2_000
ROUNDS = 5
CONCURRENT = 100
PROMPT = "Summarise this support ticket in one sentence: the invoice total is wrong."


def ours(folder: Path) -> tuple[Callable[[], Awaitable[Any]], Callable[[], None]]:
    stack = Stack.from_config(
        overrides={
            "cost": {"budget_usd_per_month": 1_000_000},
            "logging": {"name": "bench", "sinks": [f"file://{folder / 'ours.jsonl'}"]},
            "session": {"name": "bench", "store": "memory://bench"},
            "router": {
                "local_models": [],
                "cloud_providers": [],
                "rate_limits": False,
                "explore": 0.0,
            },
            "stack": {"history_limit": 1000},
        },
        objects={"router": {"providers": [SimulatedProvider(latency_scale=0)]}},
        env={},
        cwd=None,
    )

    async def call() -> Any:
        return await stack.route(PROMPT, complexity=0.3, max_tokens=32)

    def close() -> None:
        stack.cost.records.clear()

    return call, close


def theirs(folder: Path) -> tuple[Callable[[], Awaitable[Any]], Callable[[], None]] | None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch: offline here
    try:
        import litellm
        from litellm import Router
        from litellm.integrations.custom_logger import CustomLogger
    except ImportError:
        return None
    out = (folder / "litellm.jsonl").open("a")

    class FileLogger(CustomLogger):  # type: ignore[misc]
        async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):  # type: ignore[no-untyped-def]
            out.write(
                json.dumps(
                    {
                        "event": "llm_call",
                        "model": kwargs.get("model"),
                        "cost": kwargs.get("response_cost"),
                    }
                )
                + "\n"
            )

    litellm.max_budget = 1_000_000.0
    litellm.callbacks = [FileLogger()]
    litellm.suppress_debug_info = True
    router = Router(
        model_list=[{"model_name": "gpt-4o-mini", "litellm_params": {"model": "gpt-4o-mini"}}]
    )
    messages = [{"role": "user", "content": PROMPT}]

    async def call() -> Any:
        return await router.acompletion(
            model="gpt-4o-mini", messages=messages, mock_response="The total is wrong."
        )

    return call, out.close


async def _sequential(call: Callable[[], Awaitable[Any]], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        await call()
    return time.perf_counter() - start


async def _concurrent(call: Callable[[], Awaitable[Any]], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n // CONCURRENT):
        await asyncio.gather(*(call() for _ in range(CONCURRENT)))
    return time.perf_counter() - start


def measure(name: str, made: tuple[Callable[[], Awaitable[Any]], Callable[[], None]]) -> None:
    call, close = made

    async def run() -> tuple[list[float], list[float]]:
        await _sequential(call, 200)  # warm up: imports, pools, first decision
        seq = [await _sequential(call, ROUTES) for _ in range(ROUNDS)]
        par = [await _concurrent(call, ROUTES) for _ in range(ROUNDS)]
        return seq, par

    seq, par = asyncio.run(run())
    close()
    best_seq, best_par = min(seq), min(par)
    median_us = statistics.median(seq) / ROUTES * 1e6
    print(
        f"{name:<34} {ROUTES / best_seq:>8.0f} routes/s sequential "
        f"({best_seq / ROUTES * 1e6:>7.0f} us each, median {median_us:.0f}), "
        f"{ROUTES / best_par:>8.0f} routes/s {CONCURRENT} at a time"
    )


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        print(f"{ROUTES} routes x {ROUNDS} rounds, best round; Python {sys.version.split()[0]}")
        measure("powertools Stack.route (all layers)", ours(folder))
        made = theirs(folder)
        if made is None:
            print(
                "litellm is not installed: uv run --group bench python tools/bench/bench_stack.py"
            )
        else:
            measure("litellm Router (budget + callback)", made)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

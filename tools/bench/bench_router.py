"""powertools.router against LiteLLM's Router: decision time, route() overhead, concurrency, import.

Run: ``uv run --group bench python tools/bench/bench_router.py`` (about a minute).

Measures, in one run:
- the decision alone (``decide()``) with 1, 10 and 50 candidates: p50 and p99 of single calls;
  and with 50 whose request changes each call (prompt and budget, five candidates observed,
  or a new complexity: the worst case, a new plan every call);
- the whole ``route()`` overhead on the simulated provider at zero latency (sequential calls,
  p50/p99), against LiteLLM's ``Router.acompletion(..., mock_response=...)`` with its
  simple-shuffle, latency-based and cost-based routing over the same three models;
- 1,000 concurrent routes on the simulated provider at zero latency: wall time and errors;
- import time and resident memory of ``powertools.router`` against ``from litellm import Router``
  (each in a fresh interpreter).

Goals on this machine class: decision <= 20 us p99 at 50 candidates, route overhead <= 150 us,
1,000 concurrent routes <= 2 s with 0 errors, import <= 150 ms and <= 30 MB.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # before litellm is imported: no network
for _parent in Path(__file__).resolve().parents:
    if (_parent / "shared" / "tiktoken").is_dir() and "TIKTOKEN_CACHE_DIR" not in os.environ:
        os.environ["TIKTOKEN_CACHE_DIR"] = str(_parent / "shared" / "tiktoken")

from _bytecode import compiled_environment  # noqa: E402

from powertools.cost import PriceBook  # noqa: E402  (after the environment is set)
from powertools.router import (  # noqa: E402
    Candidate,
    Capabilities,
    LLMRouter,
    Needs,
    SimulatedModel,
    SimulatedProvider,
    State,
    decide,
)

MODELS = ("gpt-4o-mini", "gpt-4.1-mini", "gpt-4o")


def percentiles(samples_ns: list[int]) -> tuple[float, float]:
    """p50 and p99 in microseconds."""
    ordered = sorted(samples_ns)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) / 1000.0, p99 / 1000.0


def candidates(n: int) -> list[Candidate]:
    book = PriceBook()
    out = []
    for i in range(n):
        price = book.set_price(f"m{i}", input=f"0.{i % 7}", output=f"{i % 5}.4")
        out.append(
            Candidate(
                provider="p",
                model=f"m{i}",
                local=i % 3 == 0,
                context_window=128_000,
                max_output=8_000,
                capabilities=Capabilities(tools=True, vision=False, json_schema=True),
                price=price,
                quality=0.5 + 0.01 * (i % 45),
                ttft=0.3,
                tokens_per_second=80.0,
            )
        )
    return out


def bench_decision(rows: list[tuple[str, str, str]]) -> None:
    needs = Needs(
        prompt_tokens=500,
        max_tokens=1_000,
        complexity=0.6,
        required_quality=0.8,
        budget_fd=10**17,
        max_latency_ms=30_000,
    )
    for n in (1, 10, 50):
        cs = candidates(n)
        p50, p99 = time_decisions([(needs, cs, None)])
        rows.append((f"decision, {n} candidates", "powertools.router", f"{p50:.1f} / {p99:.1f} us"))
    # The choice comes from a plan made once per request profile (powertools.router._plan):
    # the same 50 with a new prompt size and budget each call (the plan reused), with five
    # candidates observed, and with a new complexity each call (a new plan every time).
    cs = candidates(50)
    observed = {c.key: State(ttft=0.2, tokens_per_second=90.0) for c in cs[::10]}
    calls = range(5_500)
    cases = {
        "50, new prompt and budget each call": [
            (replace(needs, prompt_tokens=100 + i % 4_000, budget_fd=10**12 + i), cs, None)
            for i in calls
        ],
        "50, five observed": [
            (replace(needs, prompt_tokens=100 + i % 4_000), cs, observed) for i in calls
        ],
        "50, new complexity each call": [
            (replace(needs, complexity=0.3 + i / 10_000), cs, None) for i in calls
        ],
    }
    for label, arguments in cases.items():
        p50, p99 = time_decisions(arguments)
        rows.append((f"decision, {label}", "powertools.router", f"{p50:.1f} / {p99:.1f} us"))


def time_decisions(
    arguments: list[tuple[Needs, list[Candidate], dict[str, State] | None]],
) -> tuple[float, float]:
    """p50 and p99 of 5,000 single calls after 500 warm-up ones, cycling through arguments."""
    for i in range(500):
        decide(*arguments[i % len(arguments)])
    samples = []
    for i in range(500, 5_500):
        needs, cs, states = arguments[i % len(arguments)]
        start = time.perf_counter_ns()
        decide(needs, cs, states)
        samples.append(time.perf_counter_ns() - start)
    return percentiles(samples)


async def timed_calls(call: Callable[[], Awaitable[object]], number: int) -> tuple[float, float]:
    for _ in range(200):
        await call()
    samples = []
    for _ in range(number):
        start = time.perf_counter_ns()
        await call()
        samples.append(time.perf_counter_ns() - start)
    return percentiles(samples)


def simulated_router(**options: object) -> LLMRouter:
    sim = SimulatedProvider([SimulatedModel(m, answer_tokens=20) for m in MODELS], latency_scale=0)
    return LLMRouter(providers=[sim], cloud_providers=[], explore=0, **options)  # type: ignore[arg-type]


async def bench_route(rows: list[tuple[str, str, str]]) -> None:
    messages = [{"role": "user", "content": "Generate Python function"}]
    for label, options in (
        ("defaults (rate limits on, no budget)", {}),
        ("budget on, rate limits off", {"budget_usd_per_month": 1_000_000, "rate_limits": False}),
    ):
        router = simulated_router(**options)

        async def ours(r: LLMRouter = router) -> object:
            return await r.route(messages=messages, complexity=0.5)

        p50, p99 = await timed_calls(ours, 3_000)
        rows.append((f"route(), {label}", "powertools.router", f"{p50:.0f} / {p99:.0f} us"))
    provider = SimulatedProvider([SimulatedModel("gpt-4o-mini", answer_tokens=20)], latency_scale=0)
    request = __import__("powertools.router", fromlist=["Request"]).Request.of(
        "Generate Python function", model="gpt-4o-mini"
    )

    async def bare() -> object:
        return await provider.complete(request)

    p50, p99 = await timed_calls(bare, 3_000)
    rows.append(("the simulated call alone", "(part of route())", f"{p50:.0f} / {p99:.0f} us"))
    await bench_litellm(rows, messages)


async def bench_litellm(rows: list[tuple[str, str, str]], messages: list[dict[str, str]]) -> None:
    try:
        from litellm import Router
    except ImportError:
        rows.append(("route()", "litellm", "not installed (uv run --group bench)"))
        return
    model_list = [
        {
            "model_name": "chat",
            "litellm_params": {
                "model": f"openai/{m}",
                "api_key": "sk-bench",
                "mock_response": "hi",
            },
        }
        for m in MODELS
    ]
    for strategy in ("simple-shuffle", "latency-based-routing", "cost-based-routing"):
        router = Router(model_list=model_list, routing_strategy=strategy)  # type: ignore[arg-type]

        async def theirs(r: Router = router) -> object:
            return await r.acompletion(model="chat", messages=messages, mock_response="hi")

        p50, p99 = await timed_calls(theirs, 500)
        rows.append((f"Router.acompletion, {strategy}", "litellm", f"{p50:.0f} / {p99:.0f} us"))


async def bench_concurrent(rows: list[tuple[str, str, str]]) -> None:
    router = simulated_router(budget_usd_per_month=1_000_000, rate_limits=False)
    await router.route(task="warm up", complexity=0.5)

    async def one() -> bool:
        try:
            await router.route(task="Generate Python function", complexity=0.5)
        except Exception:
            return False
        return True

    start = time.perf_counter()
    results = await asyncio.gather(*(one() for _ in range(1_000)))
    elapsed = time.perf_counter() - start
    errors = results.count(False)
    rows.append(
        ("1,000 concurrent routes", "powertools.router", f"{elapsed:.2f} s, {errors} errors")
    )


def import_cost(statement: str) -> tuple[float, float]:
    """Milliseconds and MB of resident memory that ``statement`` adds, in a fresh interpreter."""
    code = (
        "import os, time\n"
        "def rss():\n"
        "    pages = int(open('/proc/self/statm').read().split()[1])\n"
        "    return pages * os.sysconf('SC_PAGE_SIZE')\n"
        f"r0 = rss(); t = time.perf_counter()\n{statement}\n"
        "t = time.perf_counter() - t; print(t * 1000, (rss() - r0) / 2**20)"
    )
    runs = []
    env = compiled_environment()  # bytecode compiled, as an installed package has it
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        ).stdout.split()
        runs.append((float(out[0]), float(out[1])))
    ms = statistics.median(r[0] for r in runs)
    mb = statistics.median(r[1] for r in runs)
    return ms, mb


def bench_import(rows: list[tuple[str, str, str]]) -> None:
    ms, mb = import_cost("import powertools.router")
    rows.append(("import", "powertools.router", f"{ms:.0f} ms, +{mb:.1f} MB"))
    try:
        ms, mb = import_cost("from litellm import Router")
    except subprocess.CalledProcessError:
        rows.append(("import", "litellm Router", "not installed"))
        return
    rows.append(("import", "litellm Router", f"{ms:.0f} ms, +{mb:.1f} MB"))


def main() -> None:
    rows: list[tuple[str, str, str]] = []
    bench_decision(rows)
    asyncio.run(bench_route(rows))
    asyncio.run(bench_concurrent(rows))
    bench_import(rows)
    width = [max(len(r[i]) for r in rows) for i in range(2)]
    print(f"{'measure':<{width[0]}}  {'library':<{width[1]}}  p50 / p99 (or as stated)")
    for a, b, c in rows:
        print(f"{a:<{width[0]}}  {b:<{width[1]}}  {c}")


if __name__ == "__main__":
    main()

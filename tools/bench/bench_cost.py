"""powertools.cost against LiteLLM and tokencost: pricing, recording, token counting, import.

Run: ``uv run --group bench python tools/bench/bench_cost.py``. Prints medians (and p50/p99 for
recording, beside a busy loop of the same median: the machine's own tail). Goals: pricing
<= 1 us per completion, recording <= 10 us p99, import <= 100 ms.
``--callgrind`` counts the instructions of one recorded call instead (sync and async spans),
a figure that repeats exactly on a busy machine (see ``_callgrind``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import _callgrind

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # before litellm is imported: no network
for _parent in Path(__file__).resolve().parents:  # tiktoken offline: the shared encodings
    if (_parent / "shared" / "tiktoken").is_dir() and "TIKTOKEN_CACHE_DIR" not in os.environ:
        os.environ["TIKTOKEN_CACHE_DIR"] = str(_parent / "shared" / "tiktoken")

if TYPE_CHECKING:
    from powertools.cost import CostTracker, Usage

REPEATS = 7
WARM = 12_000  # recorded calls before --callgrind counts: past the first trim of records


def per_call_us(fn: Callable[[], object], number: int) -> float:
    """Median over REPEATS of the mean time of one call, in microseconds."""
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number * 1e6)
    return statistics.median(samples)


def single_calls_us(fn: Callable[[], object], number: int) -> list[float]:
    """The time of each of ``number`` single calls, in microseconds, sorted."""
    times = []
    for _ in range(number):
        start = time.perf_counter_ns()
        fn()
        times.append((time.perf_counter_ns() - start) / 1000)
    times.sort()
    return times


def percentiles_us(fn: Callable[[], object], number: int) -> tuple[float, float]:
    """p50 and p99 of single calls, in microseconds."""
    times = single_calls_us(fn, number)
    return times[len(times) // 2], times[int(len(times) * 0.99)]


def import_ms(module: str, repeats: int = REPEATS) -> float:
    """Median wall time of ``import module`` in a fresh interpreter, minus an empty one."""

    def run(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start

    base = statistics.median(run("pass") for _ in range(repeats))
    return (statistics.median(run(f"import {module}") for _ in range(repeats)) - base) * 1000


def own_import_ms(runs: int = 5) -> tuple[float, float]:
    """Best of ``runs`` from ``-X importtime``: powertools.cost's own import, and the share of
    the ``powertools`` meta-package's ``__init__`` (absent when the package is installed alone)."""
    best = (float("inf"), 0.0)
    for _ in range(runs):
        err = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import powertools.cost"],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        cumulative = {}
        for line in err.splitlines():
            parts = line.removeprefix("import time:").split("|")
            if len(parts) == 3 and parts[1].strip().isdigit():
                cumulative[parts[2].strip()] = int(parts[1]) / 1000
        total, meta = cumulative["powertools.cost"], cumulative.get("powertools", 0.0)
        best = min(best, (total - meta, meta))
    return best


def bench_pricing(rows: list[tuple[str, str, str]]) -> None:
    import litellm
    import tokencost

    from powertools.cost import PriceBook, Usage

    book = PriceBook.default()
    usage = Usage(input=1200, cache_read=800, output=350)
    book.cost_fd(usage, "gpt-4o")
    rows.append(
        (
            "price one completion",
            "powertools.cost (int femto-$)",
            f"{per_call_us(lambda: book.cost_fd(usage, 'gpt-4o'), 20000):.2f} us",
        )
    )
    rows.append(
        (
            "price one completion",
            "powertools.cost (Decimal $)",
            f"{per_call_us(lambda: book.cost(usage, 'gpt-4o'), 20000):.2f} us",
        )
    )

    def litellm_call() -> object:
        return litellm.cost_per_token(
            model="gpt-4o", prompt_tokens=2000, completion_tokens=350, cache_read_input_tokens=800
        )

    rows.append(
        (
            "price one completion",
            "litellm.cost_per_token",
            f"{per_call_us(litellm_call, 200):.2f} us",
        )
    )

    def tokencost_call() -> object:
        return (
            tokencost.calculate_cost_by_tokens(1200, "gpt-4o", "input")
            + tokencost.calculate_cost_by_tokens(800, "gpt-4o", "cached")
            + tokencost.calculate_cost_by_tokens(350, "gpt-4o", "output")
        )

    rows.append(
        (
            "price one completion",
            "tokencost (3 calls)",
            f"{per_call_us(tokencost_call, 2000):.2f} us",
        )
    )


def tracked() -> tuple[CostTracker, Usage]:
    """The tracker and usage every recording figure uses."""
    from powertools.cost import CostTracker, Usage

    return CostTracker(budget_usd=10**9), Usage(input=1200, cache_read=800, output=350)


def recorder() -> Callable[[], None]:
    """One tracked call: a span in the spec's form (no sizes), one usage recorded inside."""
    tracker, usage = tracked()

    def record() -> None:
        with tracker.track_call("bench", "gpt-4o") as span:
            span.record(usage)

    return record


def record_loop(mode: str, n: int) -> None:
    """What ``--callgrind`` counts: ``n`` recorded calls after 12,000, so that both runs are
    in the steady state (10,000 records kept, the oldest 1,000 dropped every 1,000 calls)."""
    if mode == "sync":
        record = recorder()
        for _ in range(WARM + n):
            record()
        return
    tracker, usage = tracked()

    async def run() -> None:
        for _ in range(WARM + n):
            async with tracker.track_call("bench", "gpt-4o") as span:
                span.record(usage)

    asyncio.run(run())


def busy_loop(median_us: float) -> Callable[[], None]:
    """A pure-Python loop whose median call lasts ``median_us``: it touches no memory, so its
    p99 is what this machine adds to any call that long (interrupts, the host's neighbours)."""

    def make(k: int) -> Callable[[], None]:
        def spin() -> None:
            for _ in range(k):
                pass

        return spin

    k = 16
    while percentiles_us(make(k), 2000)[0] < median_us:
        k = k * 11 // 10 + 1
    return make(k)


def bench_recording(rows: list[tuple[str, str, str]]) -> None:
    """p50/p99 over 5 rounds of 20,000 calls, each beside a round of a busy loop of the same
    median: on a VM the p99 swings with the host, and the loop shows by how much."""
    record = recorder()
    for _ in range(2000):
        record()
    control = busy_loop(percentiles_us(record, 5000)[0])
    calls: list[list[float]] = [[], []]
    rounds: list[list[float]] = [[], []]
    for _ in range(5):
        for i, fn in enumerate((record, control)):
            times = single_calls_us(fn, 20_000)
            calls[i] += times
            rounds[i].append(times[int(len(times) * 0.99)])
    for i, (label, what) in enumerate(
        (
            ("record one tracked call", "CostTracker, memory ledger, budget"),
            ("  the machine's floor", "a busy loop of the same median"),
        )
    ):
        times = sorted(calls[i])
        p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99)]
        per_round = " / ".join(f"{p:.1f}" for p in rounds[i])
        rows.append((label, what, f"p50 {p50:.1f} us  p99 {p99:.1f} us  (rounds {per_round})"))


def bench_forecast(rows: list[tuple[str, str, str]]) -> None:
    """The monthly forecast over 8 weeks of daily totals (its interval is a bootstrap)."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from powertools.cost._forecast import forecast_daily

    now = datetime(2026, 11, 15, 12, tzinfo=UTC).timestamp()
    start = datetime(2026, 9, 20, tzinfo=UTC).date()
    sums = {start + timedelta(days=i): (10 + i % 7) * 10**15 for i in range(56)}
    zone = ZoneInfo("UTC")
    ms = per_call_us(lambda: forecast_daily(sums, now, zone, None), 5) / 1000
    rows.append(("forecast a month", "8 weeks of history, 200 bootstrap fits", f"{ms:.0f} ms"))


def bench_counting(rows: list[tuple[str, str, str]]) -> None:
    import tiktoken
    import tokencost

    from powertools.cost import count_tokens

    text = ("The quick brown fox jumps over the lazy dog; tokenizers differ. " * 40)[:2048]
    enc = tiktoken.get_encoding("o200k_base")
    count_tokens(text, "gpt-4o")
    rows.append(
        (
            "count a 2 KiB prompt",
            "tiktoken encode (raw)",
            f"{per_call_us(lambda: len(enc.encode(text)), 500):.1f} us",
        )
    )
    rows.append(
        (
            "count a 2 KiB prompt",
            "powertools.cost count_tokens",
            f"{per_call_us(lambda: count_tokens(text, 'gpt-4o'), 500):.1f} us",
        )
    )
    rows.append(
        (
            "count a 2 KiB prompt",
            "tokencost.count_string_tokens",
            f"{per_call_us(lambda: tokencost.count_string_tokens(text, 'gpt-4o'), 500):.1f} us",
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _callgrind.add_options(parser)
    args = parser.parse_args()
    modes = ("sync", "async")
    if _callgrind.handled(args, __file__, record_loop, what="recorded call", modes=modes, n=5000):
        return
    rows: list[tuple[str, str, str]] = []
    rows.append(("import", "powertools.cost", f"{import_ms('powertools.cost'):.1f} ms"))
    own, meta = own_import_ms()
    rows.append(
        (
            "import",
            "powertools.cost alone (-X importtime)",
            f"{own:.1f} ms (+{meta:.1f} ms meta-package)",
        )
    )
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, powertools.cost; "
            "print('tiktoken' in sys.modules, 'pydantic' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    rows.append(("import", "tiktoken / pydantic loaded?", " / ".join(loaded)))
    rows.append(("import", "litellm", f"{import_ms('litellm'):.1f} ms"))
    rows.append(("import", "tokencost", f"{import_ms('tokencost'):.1f} ms"))
    bench_pricing(rows)
    bench_recording(rows)
    bench_forecast(rows)
    bench_counting(rows)
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    print(f"{'measure':<{width[0]}}  {'library':<{width[1]}}  median")
    for a, b, c in rows:
        print(f"{a:<{width[0]}}  {b:<{width[1]}}  {c}")


if __name__ == "__main__":
    main()

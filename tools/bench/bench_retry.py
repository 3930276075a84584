"""powertools.retry against backoff, tenacity, stamina, pybreaker and circuitbreaker.

Run: ``uv run --group bench python tools/bench/bench_retry.py`` (about a minute).

Measures, in one run: the success-path overhead per call (sync and async) over a bare call
(medians of paired runs, bare then wrapped);
one failure then a success with zero wait; the breaker's overhead per call (sync and async) and
its ``available()`` check; and the throughput of 8 threads making 2 ms calls through one
breaker. Figures are medians of several repeats.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
import timeit
from collections.abc import Callable
from typing import Any

import backoff
import circuitbreaker
import pybreaker
import stamina
import stamina.instrumentation
import tenacity

from powertools.retry import CircuitBreaker, retry

REPEATS = 9
CALLS = 20_000


def per_call_ns(fn: Callable[[], Any], calls: int = CALLS) -> float:
    """Median nanoseconds per call of ``fn`` over ``REPEATS`` runs."""
    runs = timeit.repeat(fn, number=calls, repeat=REPEATS)
    return statistics.median(runs) / calls * 1e9


def overhead_ns(bare: Callable[[], Any], wrapped: Callable[[], Any], calls: int = CALLS) -> float:
    """Median over paired runs (bare, then wrapped, back to back) of the extra ns per call.

    Pairing cancels most of the noise of a machine shared with other jobs.
    """
    diffs = []
    for _ in range(REPEATS):
        base = timeit.timeit(bare, number=calls)
        diffs.append(timeit.timeit(wrapped, number=calls) - base)
    return statistics.median(diffs) / calls * 1e9


def async_overhead_ns(
    bare: Callable[[], Any], wrapped: Callable[[], Any], calls: int = CALLS
) -> float:
    """:func:`overhead_ns` for coroutine functions, all runs on one event loop."""

    async def timed(make: Callable[[], Any]) -> float:
        start = time.perf_counter()
        for _ in range(calls):
            await make()
        return time.perf_counter() - start

    async def pairs() -> list[float]:
        return [(await timed(wrapped)) - (await timed(bare)) for _ in range(REPEATS)]

    return statistics.median(asyncio.run(pairs())) / calls * 1e9


def ok() -> int:
    return 1


async def aok() -> int:
    return 1


def retry_decorators() -> dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]]:
    stamina.set_testing(False)
    # Without its default structlog/prometheus hooks, as ours runs with none: same work.
    stamina.instrumentation.set_on_retry_hooks([])
    return {
        "powertools.retry": retry(max_attempts=3, base_delay=0, jitter=False),
        "backoff.on_exception": backoff.on_exception(
            backoff.constant, Exception, max_tries=3, interval=0, jitter=None
        ),
        "tenacity.retry": tenacity.retry(
            stop=tenacity.stop_after_attempt(3), wait=tenacity.wait_none(), reraise=True
        ),
        "stamina.retry": stamina.retry(
            on=Exception, attempts=3, wait_initial=0, wait_max=0, wait_jitter=0
        ),
    }


def fail_every_other() -> Callable[[], int]:
    """A function that raises on every other call: one failure, then one success."""
    count = [0]

    def flaky() -> int:
        count[0] += 1
        if count[0] % 2:
            raise ConnectionError("first attempt fails")
        return 1

    return flaky


def bench_retry() -> list[tuple[str, str, float]]:
    rows: list[tuple[str, str, float]] = [("success, sync", "bare call", per_call_ns(ok))]
    for name, decorate in retry_decorators().items():
        rows.append(("success, sync", name, overhead_ns(ok, decorate(ok))))
    for name, decorate in retry_decorators().items():
        rows.append(("success, async", name, async_overhead_ns(aok, decorate(aok))))
    for name, decorate in retry_decorators().items():
        rows.append(("1 failure + success", name, per_call_ns(decorate(fail_every_other()), 5000)))
    return rows


def breakers() -> dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]]:
    return {
        "no breaker": lambda fn: fn,
        "powertools.retry": CircuitBreaker("bench", failure_threshold=5, recovery_timeout=60),
        "pybreaker": pybreaker.CircuitBreaker(fail_max=5, reset_timeout=60),
        "circuitbreaker": circuitbreaker.circuit(failure_threshold=5, recovery_timeout=60),
    }


def throughput(wrapped: Callable[[], Any], seconds: float = 1.0, threads: int = 8) -> float:
    """Calls per second that ``threads`` threads complete in ``seconds``."""
    stop = threading.Event()
    counts = [0] * threads

    def work(i: int) -> None:
        while not stop.is_set():
            wrapped()
            counts[i] += 1

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in pool:
        thread.join()
    return sum(counts) / seconds


def two_ms() -> None:
    time.sleep(0.002)


def bench_breakers() -> list[tuple[str, str, float]]:
    rows: list[tuple[str, str, float]] = []
    for name, guard in breakers().items():
        rows.append(("breaker overhead, ns/call", name, overhead_ns(ok, guard(ok))))
    breaker = CircuitBreaker("bench-async", failure_threshold=5, recovery_timeout=60)
    rows.append(
        ("breaker overhead async, ns", "powertools.retry", async_overhead_ns(aok, breaker(aok)))
    )
    for name, guard in breakers().items():
        wrapped = guard(two_ms)
        rate = statistics.median(throughput(wrapped) for _ in range(3))
        rows.append(("8 threads x 2 ms, calls/s", name, rate))
    return rows


def table(rows: list[tuple[str, str, float]]) -> str:
    lines = [f"{'measure':<28} {'library':<24} {'median':>12}", "-" * 66]
    for measure, library, value in rows:
        unit = "calls/s" if "calls/s" in measure else "ns"
        if measure.startswith("success") and library != "bare call":
            unit = "ns extra"
        lines.append(f"{measure:<28} {library:<24} {value:>9.0f} {unit}")
    return "\n".join(lines)


def ratios(rows: list[tuple[str, str, float]]) -> str:
    got = {(m, lib): v for m, lib, v in rows}
    ours_async = got[("success, async", "powertools.retry")]
    backoff_async = got[("success, async", "backoff.on_exception")]
    kept = (
        got[("8 threads x 2 ms, calls/s", "powertools.retry")]
        / got[("8 threads x 2 ms, calls/s", "no breaker")]
    )
    return (
        f"async success overhead vs backoff: {ours_async / backoff_async:.2f}x (goal <= 0.4x)\n"
        f"sync success overhead: {got[('success, sync', 'powertools.retry')] / 1000:.3f} us "
        "(goal <= 0.5 us)\n"
        f"8-thread throughput kept through our breaker: {kept:.1%} (goal >= 95%)"
    )


def main() -> None:
    rows = bench_retry() + bench_breakers()
    print(table(rows))
    print()
    print(ratios(rows))


if __name__ == "__main__":
    main()

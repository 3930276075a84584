"""``powertools demo``: a realistic workload through the whole stack, with no keys and no network.

A few hundred tasks of four kinds (classify, summarise, code, reason), from several users, go
through one :class:`powertools.Stack`: the application's rate limit, the monthly budget, the
router's decision, breakers, retries and failovers, the session and the logs. Part-way through,
the model that serves most of the work goes down (every call a 503) and comes back later. At
the end a child process writes to the session and is killed with SIGKILL mid-run; the demo
recovers the session and shows what survived. The models are the router's simulated ones
(real latency profiles, scaled down so the demo finishes in seconds); with ``--real`` the
router also uses the keys and local servers it finds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from powertools._output import Output, command_parser, parse_args

__all__ = ["DemoTask", "main", "run_demo", "workload"]

KINDS: dict[str, tuple[float, float, str]] = {
    # kind: (complexity low, high, prompt template)
    "classify": (0.05, 0.25, "Classify the sentiment of this review: '{subject} was {adj}.'"),
    "summarise": (0.3, 0.5, "Summarise in two sentences the meeting notes about {subject}."),
    "code": (0.6, 0.8, "Write a Python function that {verb} {subject}, with tests."),
    "reason": (0.85, 0.95, "Prove or refute: every {subject} that {verb} is {adj}; explain."),
}
_SUBJECTS = ["the invoice parser", "a CSV file", "the login flow", "an LRU cache", "the API"]
_VERBS = ["validates", "parses", "deduplicates", "merges", "retries"]
_ADJECTIVES = ["great", "slow", "fine", "broken", "surprising"]
_USERS = ["ada", "grace", "linus", "margaret", "alan"]

_CRASH_CHILD = """
import os, signal, sys
from powertools.session import Session
s = Session(sys.argv[1], store=sys.argv[2])
for i in range(int(sys.argv[3])):
    s.append("history", {"task": f"after-crash-{i}", "model": "none", "cost": "0"})
os.kill(os.getpid(), signal.SIGKILL)
"""


@dataclass(slots=True, frozen=True)
class DemoTask:
    """One task of the workload."""

    kind: str
    prompt: str
    complexity: float
    user: str
    priority: str


def workload(count: int, seed: int) -> list[DemoTask]:
    """``count`` tasks of mixed kinds, the same for the same seed.

    >>> tasks = workload(8, seed=1)
    >>> len(tasks), sorted({t.kind for t in workload(200, seed=1)})
    (8, ['classify', 'code', 'reason', 'summarise'])
    """
    rng = random.Random(seed)  # noqa: S311 - a workload, not a secret
    kinds = rng.choices(list(KINDS), weights=[4, 3, 2, 1], k=count)
    tasks = []
    for kind in kinds:
        low, high, template = KINDS[kind]
        prompt = template.format(
            subject=rng.choice(_SUBJECTS), verb=rng.choice(_VERBS), adj=rng.choice(_ADJECTIVES)
        )
        tasks.append(
            DemoTask(
                kind=kind,
                prompt=prompt,
                complexity=round(rng.uniform(low, high), 2),
                user=rng.choice(_USERS),
                priority="high" if kind == "reason" else rng.choice(["normal", "normal", "low"]),
            )
        )
    return tasks


@dataclass(slots=True)
class Tally:
    """What the run saw, for the report."""

    routed: Counter[tuple[str, str]] = field(default_factory=Counter)
    # per row, each route's decision: how many candidates met the bar (0: degraded)
    reasons: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    failovers: int = 0
    retries: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    outage_model: str = ""
    outage_over: bool = False
    trips: Counter[str] = field(default_factory=Counter)
    circuits: dict[str, str] = field(default_factory=dict)
    failover_trace: str = ""
    elapsed_s: float = 0.0


def _met(result: Any) -> int | None:
    """How many candidates met the bar when ``result``'s route was decided (0: degraded)."""
    decision = result.decision
    if decision.chosen is None:
        return None
    return sum(1 for s in decision.ranked if s.meets_bar) if decision.chosen.meets_bar else 0


def why(met: list[int]) -> str:
    """One row's reason, from every route it counts: the same whichever route finished first.

    >>> why([9, 10, 9])
    'the cheapest of 9-10 that meet the bar'
    >>> why([0, 0])
    'nothing meets the bar: the closest to it (degraded)'
    >>> why([1, 0, 1, 0, 0])
    'the cheapest of 1 that meet the bar; 3 of 5 degraded (nothing met it)'
    """
    good = [m for m in met if m]
    if not good:
        return "nothing meets the bar: the closest to it (degraded)" if met else ""
    low, high = min(good), max(good)
    reason = f"the cheapest of {low if low == high else f'{low}-{high}'} that meet the bar"
    degraded = len(met) - len(good)
    return f"{reason}; {degraded} of {len(met)} degraded (nothing met it)" if degraded else reason


def _count(tally: Tally, task: DemoTask, result: Any, trace: str) -> None:
    key = (task.kind, f"{result.provider}/{result.model}")
    tally.routed[key] += 1
    met = _met(result)
    if met is not None:
        tally.reasons.setdefault(key, []).append(met)
    tried = [(a.provider, a.model) for a in result.attempts if a.outcome == "failed"]
    if tried:
        models = {m for m in tried}
        tally.retries += len(tried) - len(models)
        if any(m != (result.provider, result.model) for m in models):
            tally.failovers += 1
            tally.failover_trace = tally.failover_trace or trace


def _simulated(latency_scale: float, seed: int) -> Any:
    from powertools.router.providers.simulated import SimulatedProvider

    return SimulatedProvider(seed=seed, latency_scale=latency_scale)


def build_stack(folder: Path, *, budget: Decimal, real: bool, sim: Any) -> Any:
    """The demo's stack: everything stored under ``folder``."""
    from powertools._stack import Stack

    overrides: dict[str, dict[str, Any]] = {
        "cost": {"budget_usd_per_month": budget, "ledger": f"sqlite:///{folder / 'ledger.db'}"},
        "logging": {"name": "demo", "sinks": [f"sqlite:///{folder / 'events.db'}"]},
        "session": {"name": "demo", "store": f"file://{folder / 'sessions'}"},
        "ratelimit": {"requests_per_minute": 6000},
        "retry": {"failure_threshold": 3, "recovery_timeout": 2.0},
        "router": {"deadline": 20.0},
    }
    objects: dict[str, dict[str, Any]] = {"router": {"providers": [sim]}}
    if not real:
        overrides["router"].update(local_models=[], cloud_providers=[])
    return Stack.from_config(overrides=overrides, cwd=None, env={}, objects=objects)


async def _run_tasks(
    stack: Any, sim: Any, tasks: list[DemoTask], tally: Tally, progress: Progress | None
) -> None:
    from powertools.router.providers.simulated import FailureProfile

    bar = progress.add_task("routing", total=len(tasks)) if progress else None
    gate = asyncio.Semaphore(24)
    done = 0
    outage_at, back_at = len(tasks) * 2 // 5, len(tasks) * 7 // 10

    async def one(task: DemoTask) -> None:
        nonlocal done
        async with gate:
            trace = uuid.uuid4().hex
            try:
                result = await stack.route(
                    task.prompt,
                    task_name=task.kind,
                    user=task.user,
                    priority=task.priority,
                    complexity=task.complexity,
                    max_tokens=200,
                    trace_id=trace,
                )
                _count(tally, task, result, trace)
            except Exception as exc:  # counted in the report: the demo shows failures too
                tally.errors[type(exc).__name__] += 1
            done += 1
            if done >= outage_at and not tally.outage_model:
                tally.outage_model = _busiest(tally)
                sim.set_failures(tally.outage_model, FailureProfile(server_error=1.0))
            if done >= back_at and tally.outage_model and not tally.outage_over:
                tally.outage_over = True
                sim.set_failures(tally.outage_model, FailureProfile())
            _watch_breakers(stack, tally)
            if progress is not None and bar is not None:
                progress.advance(bar)

    await asyncio.gather(*(one(t) for t in tasks))


def _watch_breakers(stack: Any, tally: Tally) -> None:
    """Count each breaker's moves into ``open`` (a trip), from the router's stats."""
    for key, stats in stack.router.stats().items():
        state = str(stats.get("circuit", "closed"))
        if state == "open" and tally.circuits.get(key) != "open":
            tally.trips[key] += 1
        tally.circuits[key] = state


def _busiest(tally: Tally) -> str:
    served = Counter[str]()
    for (_, key), n in tally.routed.items():
        served[key.split("/", 1)[1]] += n
    return served.most_common(1)[0][0] if served else "gpt-4o-mini"


def _crash_and_recover(folder: Path, writes: int) -> dict[str, Any]:
    from powertools.session import Session

    store = f"file://{folder / 'sessions'}"
    before = len(Session("demo", store=store).get("history") or [])
    child = subprocess.run(  # noqa: S603 - this interpreter, a fixed script, our own arguments
        [sys.executable, "-c", _CRASH_CHILD, "demo", store, str(writes)],
        capture_output=True,
        check=False,
    )
    recovered = Session.recover("demo", store=store)
    history = recovered.get("history") or []
    return {
        "killed_by": "SIGKILL" if child.returncode == -signal.SIGKILL else child.returncode,
        "entries_before": before,
        "written_by_child": writes,
        "entries_after": len(history),
        "last": history[-1] if history else None,
        "version": recovered.version,
    }


def _report_data(
    stack: Any, tally: Tally, crash: dict[str, Any], budget: Decimal
) -> dict[str, Any]:
    tracker = stack.cost
    forecast = tracker.forecast_monthly()
    logger = stack.logger
    trace = logger.query(filters={"trace_id": tally.failover_trace}) if tally.failover_trace else []
    breakers = {k: v.get("circuit") for k, v in stack.router.stats().items()}
    breakers = {k: v for k, v in breakers.items() if v != "closed"}
    return {
        "routes": stack.stats.routes,
        "routing": [
            {"kind": k, "model": m, "count": n, "why": why(tally.reasons.get((k, m), []))}
            for (k, m), n in sorted(tally.routed.items())
        ],
        "cost": {
            "spent": tracker.get_total(),
            "budget": budget,
            "forecast": forecast.projected_cost,
            "forecast_low": forecast.low,
            "forecast_high": forecast.high,
        },
        "rate_limit_wait_s": round(stack.stats.rate_limit_wait_s, 3),
        "retries": tally.retries,
        "failovers": tally.failovers,
        "outage_model": tally.outage_model,
        "breaker_trips": dict(tally.trips),
        "breakers_not_closed": breakers,
        "errors": dict(tally.errors),
        "session_crash": crash,
        "log_query": {
            "routes_logged": len(logger.query("stack.route.done", limit=100_000)),
            "trace_id": tally.failover_trace,
            "trace_events": [e.event for e in trace],
        },
        "elapsed_s": round(tally.elapsed_s, 2),
        "components_failed": [f.line() for f in stack.failures],
    }


def run_demo(
    folder: Path,
    *,
    tasks: int = 300,
    seed: int = 7,
    budget: Decimal = Decimal("5"),
    latency_scale: float = 0.02,
    real: bool = False,
    console: Console | None = None,
) -> dict[str, Any]:
    """Run the whole demo in ``folder``; returns the report's data."""
    sim = _simulated(latency_scale, seed)
    stack = build_stack(folder, budget=budget, real=real, sim=sim)
    tally = Tally()
    started = time.perf_counter()
    work = workload(tasks, seed)
    try:
        if console is None:
            asyncio.run(_run_tasks(stack, sim, work, tally, None))
        else:
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=console, transient=False) as progress:
                asyncio.run(_run_tasks(stack, sim, work, tally, progress))
        tally.elapsed_s = time.perf_counter() - started
        stack.session.save()
        crash = _crash_and_recover(folder, writes=5)
        return _report_data(stack, tally, crash, budget)
    finally:
        stack.close()


def _render(console: Console, out: Output, data: dict[str, Any], folder: Path) -> None:
    for line in data["components_failed"]:
        console.print(f"[red]{line}[/red]", highlight=False)
    rows = [(r["kind"], r["model"], r["count"], r["why"]) for r in data["routing"]]
    console.print(
        out.table("where each kind of task went, and why", ("task", "model", "routes", "why"), rows)
    )
    c = data["cost"]
    console.print(
        f"[bold]cost[/bold] ${c['spent']} of a ${c['budget']} monthly budget; month-end forecast "
        f"${c['forecast']} (80%: ${c['forecast_low']} to ${c['forecast_high']})"
    )
    console.print(
        f"[bold]resilience[/bold] outage of {data['outage_model'] or 'none'}: "
        f"{data['failovers']} failovers, {data['retries']} retries, "
        f"breaker trips {data['breaker_trips'] or 'none'}; "
        f"rate-limit waits {data['rate_limit_wait_s']} s in all; "
        f"errors {data['errors'] or 'none'}",
        highlight=False,
    )
    s = data["session_crash"]
    console.print(
        f"[bold]session[/bold] a writer killed by {s['killed_by']} after {s['written_by_child']} "
        f"appends: recovered {s['entries_after']} entries (was {s['entries_before']}), "
        f"last {s['last']}",
        highlight=False,
    )
    q = data["log_query"]
    console.print(
        f"[bold]logs[/bold] {q['routes_logged']} routes logged; one failover's trace "
        f"{q['trace_id'] or '-'}: {' -> '.join(q['trace_events']) or '-'}",
        highlight=False,
    )
    console.print(
        f"{data['routes']} routes in {data['elapsed_s']} s. Look closer: powertools costs report "
        f"--ledger sqlite:///{folder / 'ledger.db'} --html report.html; powertools logs query "
        f"--sink sqlite:///{folder / 'events.db'}",
        highlight=False,
    )


def _parser(prog: str) -> argparse.ArgumentParser:
    parser = command_parser(prog, __doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--tasks", type=int, default=300, help="how many tasks (default: 300)")
    parser.add_argument("--seed", type=int, default=7, help="the workload's seed")
    parser.add_argument("--budget", type=Decimal, default=Decimal("5"), help="monthly, dollars")
    parser.add_argument("--dir", type=Path, help="keep the ledger, logs and session here")
    parser.add_argument("--real", action="store_true", help="also use real keys and servers")
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str = "powertools demo") -> int:
    """Run the demo and print its report; 0 when it ran, 2 on bad arguments."""
    args = parse_args(_parser(prog), argv)
    if isinstance(args, int):
        return args
    if args.tasks < 1:
        print(f"{prog}: --tasks {args.tasks} must be at least 1", file=sys.stderr)
        return 2
    folder = args.dir or Path(tempfile.mkdtemp(prefix="powertools-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    out = Output(args.json)
    console = None if args.json else out.console
    data = run_demo(
        folder,
        tasks=args.tasks,
        seed=args.seed,
        budget=args.budget,
        real=args.real,
        console=console,
    )
    out.emit(data, lambda c: _render(c, out, data, folder))
    return 0

"""Import time of every powertools package, beside the goal: at most 100 ms, no optional dependency.

Run: ``uv run --group bench python tools/bench/bench_imports.py [--repeat N]`` (or
``nox -s bench -- imports``); about 15 s.

Each figure is the median over ``--repeat`` fresh interpreters (default 21) of the wall time of
``import <module>`` alone, measured with ``time.perf_counter`` inside the subprocess (interpreter
start-up is not counted). The same subprocess lists the optional dependencies that the import
loaded (the goal is none: each backend imports its dependency where it is used), and whether
``importlib.metadata`` was imported (about 30 ms; a package should read its entry points only
when it needs them). Timings on a shared machine are noisy: compare medians from the same run.
Bytecode is compiled first, as an installed wheel has it (``_bytecode.py``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

from _bytecode import compiled_environment

from powertools_testkit import HEAVY

GOAL_MS = 100.0
MODULES = [
    "powertools.retry",
    "powertools.ratelimit",
    "powertools.cost",
    "powertools.session",
    "powertools.logging",
    "powertools.router",
    "powertools",  # the meta-package alone (its names import the components on first use)
]
PROBE = """
import json, sys, time
before = set(sys.modules)
start = time.perf_counter()
import {module}
elapsed = time.perf_counter() - start
new = set(sys.modules) - before
print(json.dumps({{"seconds": elapsed, "modules": sorted(new)}}))
"""


def measure(module: str, env: dict[str, str] | None = None) -> tuple[float, set[str]]:
    """Seconds to import ``module`` in a fresh interpreter, and the modules that import loaded."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    result = json.loads(done.stdout)
    return float(result["seconds"]), set(result["modules"])


def optional_loaded(modules: set[str]) -> list[str]:
    """The optional dependencies (and ``importlib.metadata``) among ``modules``."""
    tops = {m.split(".")[0] for m in modules}
    found = sorted(tops & HEAVY)
    if "importlib.metadata" in modules:
        found.append("importlib.metadata")
    return found


def main(argv: list[str] | None = None) -> int:
    """Print one line per package: median and spread of its import time, the goal, the verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21, help="fresh interpreters per package")
    parser.add_argument("modules", nargs="*", default=MODULES)
    args = parser.parse_args(argv)
    env = compiled_environment()
    print(f"import time, median of {args.repeat} fresh interpreters (goal: <= {GOAL_MS:g} ms,")
    print("no optional dependency loaded)")
    header = ["package", "median ms", "min ms", "max ms", "goal", "optional deps loaded"]
    print(f"{header[0]:<22}{header[1]:>10}{header[2]:>8}{header[3]:>8}  {header[4]:<16}{header[5]}")
    for module in args.modules:
        runs = [measure(module, env) for _ in range(args.repeat)]
        ms = [seconds * 1000 for seconds, _ in runs]
        loaded = sorted(set().union(*(optional_loaded(m) for _, m in runs)))
        median = statistics.median(ms)
        verdict = "ok" if median <= GOAL_MS and not loaded else "MISSED"
        goal = f"<= {GOAL_MS:g}: {verdict}"
        shown = ", ".join(loaded) or "none"
        print(f"{module:<22}{median:>10.1f}{min(ms):>8.1f}{max(ms):>8.1f}  {goal:<16}{shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

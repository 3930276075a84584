"""Instructions per iteration, counted by valgrind's callgrind: a figure that repeats exactly
whatever else the machine runs, where microseconds on a shared two-core VM wander by 2x.

A bench script that offers ``--callgrind`` runs itself under valgrind twice, with N and 2N
iterations of what it measures (its hidden ``--loop MODE N``), under PYTHONHASHSEED=0; the
difference divided by N is the cost of one iteration, start-up excluded. Compare two
checkouts by running the script from each (``PYTHONPATH=<other>/packages/<pkg>/src``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable


def instructions(script: str, mode: str, n: int) -> int:
    """Instructions of one run of ``script --loop mode n`` under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", sys.executable,
             script, "--loop", mode, str(n)],
            check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"},
        )  # fmt: skip
        with open(out, encoding="utf-8") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("summary:"))


def per_iteration(script: str, mode: str, n: int) -> float:
    """Instructions of one iteration: (run of 2n - run of n) / n."""
    return (instructions(script, mode, 2 * n) - instructions(script, mode, n)) / n


def report(script: str, what: str, modes: tuple[str, ...], n: int) -> None:
    """Print the instructions per ``what`` for each mode."""
    print(f"instructions per {what} (callgrind, ({n * 2} - {n}) / {n})")
    for mode in modes:
        print(f"  {mode:<6} {per_iteration(script, mode, n):10,.0f}")


def add_options(parser: argparse.ArgumentParser) -> None:
    """``--callgrind`` and the hidden ``--loop MODE N`` that it runs under valgrind."""
    parser.add_argument("--callgrind", action="store_true", help="count instructions only")
    parser.add_argument("--loop", nargs=2, metavar=("MODE", "N"), help=argparse.SUPPRESS)


def handled(
    args: argparse.Namespace,
    script: str,
    loop: Callable[[str, int], None],
    *,
    what: str,
    modes: tuple[str, ...],
    n: int,
) -> bool:
    """Run ``--loop`` or ``--callgrind`` if asked (``loop(mode, n)`` is what is counted);
    whether one was, so the script's own figures are not run too."""
    if args.loop:
        loop(args.loop[0], int(args.loop[1]))
    elif args.callgrind:
        report(script, what, modes, n)
    return bool(args.loop or args.callgrind)

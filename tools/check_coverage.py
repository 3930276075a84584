"""Check each distribution's line and branch coverage against its floor (95 % for every one).

`.ci/run` measures coverage during its one run of the README's test command and then runs
``python tools/check_coverage.py``. The figures come from the coverage data file (``.coverage``,
combined by pytest-cov); each source file counts for the distribution whose ``src`` folder holds
it. A distribution with no measured file fails too: nothing measured is not 100 %.

    python tools/check_coverage.py [--data-file .coverage] [--fail-under 95]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = 95.0


@dataclass
class Figures:
    """Statements and branches of one distribution, with how many of each ran."""

    statements: int = 0
    run_statements: int = 0
    branches: int = 0
    run_branches: int = 0

    @property
    def line(self) -> float:
        """Line coverage in percent (100 when there is nothing to run)."""
        return 100.0 * self.run_statements / self.statements if self.statements else 100.0

    @property
    def branch(self) -> float:
        """Branch coverage in percent (100 when there is no branch)."""
        return 100.0 * self.run_branches / self.branches if self.branches else 100.0


def distributions(root: Path = ROOT) -> dict[str, Path]:
    """Every workspace distribution (``packages/<name>``) and its ``src`` folder."""
    return {p.parent.name: p for p in sorted(root.glob("packages/*/src")) if p.is_dir()}


def per_distribution(
    files: dict[str, dict[str, int]], dists: dict[str, Path]
) -> dict[str, Figures]:
    """Add up the per-file summaries (coverage's JSON ``summary``) by distribution."""
    figures = {name: Figures() for name in dists}
    for filename, summary in files.items():
        path = Path(filename)
        path = path if path.is_absolute() else ROOT / path
        owner = next((n for n, src in dists.items() if path.resolve().is_relative_to(src)), None)
        if owner is None:
            continue
        f = figures[owner]
        f.statements += summary["num_statements"]
        f.run_statements += summary["covered_lines"]
        f.branches += summary.get("num_branches", 0)
        f.run_branches += summary.get("covered_branches", 0)
    return figures


def lowered(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, float]:
    """Branch floors still below 95 (``[tool.powertools-coverage] branch-floors``): to raise."""
    import tomllib

    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    floors = config.get("tool", {}).get("powertools-coverage", {}).get("branch-floors", {})
    return {str(k): float(v) for k, v in floors.items()}


def failures(
    figures: dict[str, Figures], floor: float, branch_floors: dict[str, float] | None = None
) -> list[str]:
    """One line per distribution under the floor, naming the figure and what to do."""
    out = []
    for name, f in figures.items():
        if f.statements == 0:
            out.append(f"{name}: no line of it was measured; run the tests with coverage (--cov)")
            continue
        branch_floor = (branch_floors or {}).get(name, floor)
        for kind, value, least in (("line", f.line, floor), ("branch", f.branch, branch_floor)):
            if value < least:
                out.append(
                    f"{name}: {kind} coverage {value:.2f} % is under the {least:g} % floor; "
                    f"add tests for the lines `coverage report` lists as missing"
                )
    return out


def read(
    data_file: Path, config: Path | None = ROOT / "pyproject.toml"
) -> dict[str, dict[str, int]]:
    """The per-file summaries of a coverage data file, through coverage's own JSON report."""
    import coverage

    cov = coverage.Coverage(data_file=str(data_file), config_file=str(config) if config else False)
    cov.load()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "coverage.json"
        cov.json_report(outfile=str(out))
        report = json.loads(out.read_text(encoding="utf-8"))
    return {name: data["summary"] for name, data in report["files"].items()}


def main(argv: list[str] | None = None) -> int:
    """Print each distribution's figures beside the floor; exit 1 if any is under it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-file", type=Path, default=ROOT / ".coverage")
    parser.add_argument("--fail-under", type=float, default=FLOOR)
    args = parser.parse_args(argv)
    if not args.data_file.exists():
        print(f"no coverage data at {args.data_file}: run the tests with --cov first")
        return 1
    figures = per_distribution(read(args.data_file), distributions())
    print(f"{'distribution':<24}{'line %':>9}{'branch %':>10}   floor {args.fail_under:g} %")
    for name, f in figures.items():
        print(f"{name:<24}{f.line:>9.2f}{f.branch:>10.2f}")
    branch_floors = lowered()
    for name, least in branch_floors.items():
        print(
            f"note: {name}'s branch floor is {least:g} % until its tests reach {args.fail_under:g}"
        )
    problems = failures(figures, args.fail_under, branch_floors)
    for problem in problems:
        print(f"FAIL {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""tools/check_coverage.py: per-distribution figures from real coverage data, and its floor."""

from __future__ import annotations

import importlib
from pathlib import Path

import coverage
import pytest

TOOLS = Path(__file__).resolve().parent.parent


check = importlib.import_module("check_coverage")  # from tools/, put on sys.path by conftest

SOURCE = """
def half(x):
    if x > 0:
        return "positive"
    return "other"
"""


def _measure(tmp_path: Path, dist: str, calls: list[int]) -> Path:
    """Coverage data of a made-up distribution's one module, calling ``half`` with ``calls``."""
    src = tmp_path / "packages" / dist / "src"
    src.mkdir(parents=True)
    module = src / "fakemod_cov.py"
    module.write_text(SOURCE, encoding="utf-8")
    data = tmp_path / ".coverage"
    cov = coverage.Coverage(
        data_file=str(data), config_file=False, branch=True, include=[str(module)]
    )
    namespace: dict[str, object] = {}
    cov.start()
    try:
        exec(compile(SOURCE, str(module), "exec"), namespace)
        for x in calls:
            namespace["half"](x)  # type: ignore[operator]
    finally:
        cov.stop()
    cov.save()
    return data


def _figures(tmp_path: Path, calls: list[int]) -> dict[str, object]:
    data = _measure(tmp_path, "powertools-fake", calls)
    files = check.read(data, config=None)
    dists = check.distributions(tmp_path)
    assert list(dists) == ["powertools-fake"]
    return check.per_distribution(files, dists)


def test_fully_covered_distribution_passes(tmp_path: Path) -> None:
    figures = _figures(tmp_path, [1, -1])
    f = figures["powertools-fake"]
    assert (f.line, f.branch) == (100.0, 100.0)
    assert check.failures(figures, 95) == []


def test_a_missed_branch_fails_naming_the_package_and_figure(tmp_path: Path) -> None:
    figures = _figures(tmp_path, [1])  # `return "other"` never runs, nor the False branch
    f = figures["powertools-fake"]
    assert f.line == pytest.approx(75.0)
    assert f.branch == pytest.approx(50.0)
    assert check.failures(figures, 95) == [
        "powertools-fake: line coverage 75.00 % is under the 95 % floor; "
        "add tests for the lines `coverage report` lists as missing",
        "powertools-fake: branch coverage 50.00 % is under the 95 % floor; "
        "add tests for the lines `coverage report` lists as missing",
    ]
    assert check.failures(figures, 50) == []


def test_an_unmeasured_distribution_fails() -> None:
    figures = {"powertools-none": check.Figures()}
    assert check.failures(figures, 95) == [
        "powertools-none: no line of it was measured; run the tests with coverage (--cov)"
    ]


def test_main_without_data_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check.main(["--data-file", str(tmp_path / "missing")]) == 1
    assert "no coverage data" in capsys.readouterr().out


def test_a_lowered_branch_floor_applies_to_its_distribution_only(tmp_path: Path) -> None:
    figures = _figures(tmp_path, [1])  # 75 % line, 50 % branch
    assert check.failures(figures, 75, {"powertools-fake": 50}) == []
    assert check.failures(figures, 75, {"powertools-other": 50}) == [
        "powertools-fake: branch coverage 50.00 % is under the 75 % floor; "
        "add tests for the lines `coverage report` lists as missing"
    ]
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text("[tool.powertools-coverage.branch-floors]\npowertools-fake = 50\n")
    assert check.lowered(pyproject) == {"powertools-fake": 50.0}

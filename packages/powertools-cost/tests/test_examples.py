"""Every example in ``examples/`` runs and prints what its docs show."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"
EXPECTED = {
    "track_calls.py": "Tasks: 3",
    "hard_budget.py": "3 calls, $0.036 spent, 1 alert(s)",
    "price_usage.py": "gemini 2.5 pro above 200k: 0.5425",
    "capture_httpx.py": "recorded $0.002 for claude-haiku-4-5-20251001",
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    assert EXPECTED[name] in capsys.readouterr().out


def test_every_example_is_tested() -> None:
    assert {p.name for p in EXAMPLES.glob("*.py")} == set(EXPECTED)

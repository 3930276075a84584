"""Every example in examples/ runs and prints what the docs say it prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parents[1] / "examples"


def run(name: str) -> str:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_quickstart() -> None:
    out = run("quickstart.py").splitlines()
    assert out[0] == "attempt 1 failed (rate_limit); waiting 0.01s"
    assert out[2] == "answer to 'hello'"
    assert out[3:6] == ["cached results for 'retry libraries'"] * 3
    assert out[6] == "breaker: open"
    assert out[7] == "refused; next probe in 30s"


def test_retrying_loop() -> None:
    assert run("retrying_loop.py").strip() == "payload after 3 attempts"


def test_choosing_a_provider() -> None:
    assert run("choosing_a_provider.py").splitlines() == [
        "openai:gpt-4o: transient, server asks to wait 2.0s",
        "anthropic:claude-sonnet answers 'hi'",
        "openai:gpt-4o: transient, server asks to wait 2.0s",
        "anthropic:claude-sonnet answers 'hello'",
        "openai:gpt-4o: skipped, available in 30s",
        "anthropic:claude-sonnet answers 'hey'",
        "openai:gpt-4o is open",
    ]


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_every_example_is_tested(name: str) -> None:
    tested = {"choosing_a_provider.py", "quickstart.py", "retrying_loop.py", "spec_example.py"}
    assert name in tested, f"add a test for examples/{name}"

"""The stack's docs: the example runs, and the configuration reference is the generated one."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from powertools._reference import reference

ROOT = Path(__file__).resolve().parents[3]


def test_the_configuration_reference_is_generated() -> None:
    page = ROOT / "docs" / "stack" / "configuration.md"
    assert page.read_text() == reference(), "run: python -m powertools._reference > " + str(page)


def test_the_quickstart_runs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")
    runpy.run_path(str(ROOT / "packages" / "ai-powertools" / "examples" / "quickstart.py"))
    out = capsys.readouterr().out
    assert "answered for $" in out
    assert "'stack.route.start', 'stack.ratelimit', 'router.attempt'" in out
    assert "spent this month:" in out


def test_every_docs_code_block_of_the_stack_is_included_or_plain_text() -> None:
    text = (ROOT / "docs" / "stack" / "index.md").read_text()
    blocks = text.split("```")[1::2]
    python = [b for b in blocks if b.startswith("python")]
    assert python
    assert all("--8<--" in b for b in python)

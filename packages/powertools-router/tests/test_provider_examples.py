"""The providers' examples in ``examples/`` run and print what their docs show."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"
EXPECTED = {
    "providers_fake_server.py": [
        "openai: Paris is the capital of France. (6 tokens)",
        "anthropic: Paris is the capital of France. (6 tokens)",
        "rate_limit, retry after 2.0 s",
    ],
    "providers_stream.py": [
        "Once upon a time there was a tiny model.",
        "[stop] 9 tokens",
        "dropped after 12 characters reached the caller",
    ],
    "providers_local_models.py": [
        "ollama   llama3.2:3b        context 131072",
        "llamacpp fake-model.gguf    context 4096",
        "after stop: ['down', 'down']",
        "after restart: ['ok', 'ok']",
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_provider_example_runs(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")
    out = capsys.readouterr().out
    for line in EXPECTED[name]:
        assert line in out


def test_every_provider_example_is_tested() -> None:
    assert {p.name for p in EXAMPLES.glob("providers_*.py")} == set(EXPECTED)

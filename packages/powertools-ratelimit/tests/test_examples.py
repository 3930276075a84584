"""Every example in ``examples/`` runs and prints what the docs say it prints."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"


def run(name: str) -> None:
    runpy.run_path(str(EXAMPLES / name), run_name="__main__")


def test_quickstart(capsys: pytest.CaptureFixture[str]) -> None:
    run("quickstart.py")
    out = capsys.readouterr().out
    assert "{'prompt_tokens': 6, 'completion_tokens': 128}" in out
    assert "A long document" in out


def test_quota_stats(capsys: pytest.CaptureFixture[str]) -> None:
    run("quota_stats.py")
    out = capsys.readouterr().out
    assert "Queue length: 0" in out
    assert re.search(r"Tokens left today: 1,98[89],\d{3} \(0\.60% used\)", out)
    assert "would wait too long: route elsewhere" not in out


def test_learn_from_headers(capsys: pytest.CaptureFixture[str]) -> None:
    run("learn_from_headers.py")
    out = capsys.readouterr().out
    assert "learnt: [('requests_per_minute', 300.0), ('tokens_per_minute', 25000.0)]" in out
    assert "a call would wait 2.0s" in out


@pytest.mark.integration
def test_fleet_redis(
    redis_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setattr("sys.argv", ["fleet_redis.py", "3"])
    run("fleet_redis.py")
    assert capsys.readouterr().out.count("admitted") == 3

"""``powertools demo``: the whole stack at work, no keys, no network, an outage part-way."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from powertools._cli import main
from powertools._demo import KINDS, run_demo

WHY = re.compile(
    r"the cheapest of \d+(-\d+)? that meet the bar(; \d+ of \d+ degraded \(nothing met it\))?"
    r"|nothing meets the bar: the closest to it \(degraded\)"
)


@pytest.fixture(autouse=True)
def _no_real_providers(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")


def test_the_demo_report_has_every_part(tmp_path: Path) -> None:
    data = run_demo(tmp_path, tasks=120, seed=5, budget=Decimal(5), latency_scale=0)
    assert data["routes"] == 120
    assert data["errors"] == {}
    assert {r["kind"] for r in data["routing"]} == set(KINDS)
    # each row's reason covers every route it counts (not whichever finished first): the easy
    # kinds always had candidates meeting the bar; reasoning tasks above the best model's
    # quality (0.93) are routed to the closest, degraded, and the row says how many
    for r in data["routing"]:
        assert WHY.fullmatch(r["why"]), r
        assert "degraded" not in r["why"] or r["kind"] == "reason", r
    # the hard tasks go to stronger models than the easy ones
    models = {r["kind"]: r["model"] for r in data["routing"]}
    assert models["reason"] != models["classify"]
    cost = data["cost"]
    assert Decimal(0) < cost["spent"] <= cost["budget"]
    assert cost["forecast_low"] <= cost["forecast"] <= cost["forecast_high"]
    # the outage: the busiest model failed for a while, the router failed over, its breaker
    # tripped
    assert data["outage_model"]
    assert data["failovers"] >= 1
    assert any(data["outage_model"] in key for key in data["breaker_trips"])
    crash = data["session_crash"]
    assert crash["killed_by"] == "SIGKILL"
    assert crash["entries_after"] == crash["entries_before"] + crash["written_by_child"]
    assert crash["last"]["task"] == "after-crash-4"
    logs = data["log_query"]
    assert logs["routes_logged"] == 120
    assert logs["trace_events"][0] == "stack.route.start"
    assert logs["trace_events"].count("router.attempt") >= 2
    assert logs["trace_events"][-1] == "stack.route.done"
    # the demo's ledger is there for `powertools costs report --ledger ...`
    assert (tmp_path / "ledger.db").is_file()


def test_the_command_prints_a_progress_bar_and_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--tasks", "40", "--dir", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out
    assert "routing" in out
    assert "40/40" in out
    for part in ("where each kind of task went", "cost", "resilience", "session", "logs"):
        assert part in out
    assert main(["--json", "demo", "--tasks", "30", "--dir", str(tmp_path / "j")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["routes"] == 30


def test_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--tasks", "0"]) == 2
    assert "--tasks 0 must be at least 1" in capsys.readouterr().err
    assert main(["demo", "--tasks", "many"]) == 2

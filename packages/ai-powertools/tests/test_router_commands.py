"""``powertools doctor``, ``powertools route`` and ``powertools demo`` (no keys, no network)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from powertools._cli import main
from powertools._cmd_router import key_report
from powertools._demo import run_demo, workload
from powertools.router.testing import FakeProviderServer

SECRET = "sk-test-never-printed-0123456789"


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")
    monkeypatch.setenv("POWERTOOLS_LOGGING_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("POWERTOOLS_SESSION_DIR", str(tmp_path / "sessions"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def fake_openai(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProviderServer]:
    server = FakeProviderServer(api_key=SECRET).start_in_thread()
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url("openai"))
    yield server
    server.stop_thread()


def test_doctor_with_nothing_configured_says_simulated(capsys: pytest.CaptureFixture[str]):
    assert main(["doctor", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["keys"]["openai"] == {"variable": "OPENAI_API_KEY", "set": False, "length": 0}
    assert "SIMULATED MODELS ONLY" in data["router"]
    assert main(["doctor"]) == 0
    assert "not set" in capsys.readouterr().out


def test_doctor_never_prints_a_key(
    fake_openai: FakeProviderServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert SECRET not in out
    assert f"set ({len(SECRET)} chars)" in out
    assert fake_openai.base_url("openai") in out  # the endpoint is shown
    assert main(["--json", "doctor"]) == 0
    assert SECRET not in capsys.readouterr().out


def test_key_report_takes_the_first_variable_that_is_set() -> None:
    report = key_report({"GOOGLE_API_KEY": "g" * 10})
    assert report["gemini"] == {"variable": "GOOGLE_API_KEY", "set": True, "length": 10}


def test_route_prints_the_answer_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["route", "Summarise: the meeting moved to Tuesday.", "--complexity", "0.3",
                 "--max-tokens", "40", "--tag", "demo", "--user", "ada"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "attempt(s)" in out
    assert "chose simulated/" in out
    assert main(["--json", "route", "Prove it.", "--complexity", "0.9", "--max-tokens", "20"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["provider"] == "simulated"
    assert data["attempts"][-1]["outcome"] == "ok"
    assert data["explain"].startswith("request: complexity 0.90")


def test_route_failures_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from powertools._stack import Stack
    from powertools.router import AllProvidersFailedError

    def refuse(self: Stack, task: str | None = None, **kwargs: object) -> object:
        raise AllProvidersFailedError([], "nothing answered")

    with monkeypatch.context() as patched:
        patched.setattr(Stack, "route_sync", refuse)
        assert main(["route", "x"]) == 1
    err = capsys.readouterr().err
    assert (
        err
        == "powertools route: AllProvidersFailedError: every candidate failed: nothing answered\n"
    )
    bad = tmp_path / "bad.toml"
    bad.write_text("[router]\ndeadline = 'soon'\n")
    assert main(["route", "x", "--config", str(bad)]) == 2
    assert "router.deadline" in capsys.readouterr().err
    assert main(["route"]) == 2


def test_the_demo_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--json", "demo", "--tasks", "24", "--dir", str(tmp_path / "demo")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["routes"] == 24
    assert data["session_crash"]["killed_by"] == "SIGKILL"
    assert Decimal(data["cost"]["spent"]) <= Decimal(data["cost"]["budget"])


def test_the_demo_shows_its_report_to_people(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--tasks", "20", "--dir", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out
    assert "20/20" in out
    assert "where each kind of task went" in out
    assert "powertools costs report --ledger" in out


def test_run_demo_without_a_console_and_the_workload_is_seeded(tmp_path: Path) -> None:
    data = run_demo(tmp_path, tasks=30, seed=2, latency_scale=0)
    assert data["routes"] == 30
    assert data["outage_model"]
    assert workload(50, seed=9) == workload(50, seed=9)
    assert workload(50, seed=9) != workload(50, seed=10)


def test_the_demo_reports_a_component_that_failed_to_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from importlib import metadata

    from powertools import _stack
    from powertools._components import GROUP, discover

    broken = metadata.EntryPoint("ghost", "powertools_no_such_module:hook", GROUP)
    found = discover((*metadata.entry_points(group=GROUP), broken))
    monkeypatch.setattr(_stack, "discover", lambda: found)
    assert main(["demo", "--tasks", "12", "--dir", str(tmp_path / "g")]) == 0
    out = capsys.readouterr().out
    assert "component 'ghost'" in out
    assert "where each kind of task went" in out  # the others still ran

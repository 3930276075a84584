"""The ``powertools`` subcommands over the components' public APIs: people's output and --json."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from powertools._cli import main
from powertools.cost import CostTracker
from powertools.logging import AuditTrail, StructuredLogger
from powertools.session import Session


def _json(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def ledger(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    tracker = CostTracker(ledger=url)
    for task, user, tokens in (("summarise", "ada", 1000), ("code", "grace", 3000)):
        with tracker.track_call(task, model="gpt-4o-mini", user=user) as span:
            span.record({"usage": {"prompt_tokens": tokens, "completion_tokens": 500}})
    return url


def test_costs_report_by_model_task_and_user(ledger: str, capsys: pytest.CaptureFixture[str]):
    assert main(["costs", "report", "--ledger", ledger, "--budget", "10"]) == 0
    text = capsys.readouterr().out
    assert "$0.0012 over 2 tasks" in text  # 4,000 input at $0.15/M + 1,000 output at $0.60/M
    assert "grace" in text
    assert main(["--json", "costs", "report", "--ledger", ledger, "--budget", "10"]) == 0
    data = _json(capsys)
    assert isinstance(data, dict)
    assert data["total"] == "0.0012"
    assert data["by_user"] == {"ada": "0.00045", "grace": "0.00075"}
    assert Decimal(data["remaining"]) == Decimal("9.9988")


def test_costs_forecast_and_export(ledger: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["costs", "forecast", "--ledger", ledger, "--budget", "10", "--json"]) == 0
    data = _json(capsys)
    assert isinstance(data, dict)
    assert data["spent_to_date"] == "0.001200"
    assert data["budget"] == "10"
    assert main(["costs", "export", "--ledger", ledger, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3  # header and two calls
    assert main(["costs", "export", "--ledger", ledger, "--since", "2999-01-01"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_costs_report_html_is_written(
    ledger: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "out" / "report.html"
    assert main(["costs", "report", "--ledger", ledger, "--html", str(page)]) == 0
    text = page.read_text()
    assert text.count('<svg class="chart"') == 4
    assert "http://" not in text
    assert "https://" not in text
    assert "grace" in text


def test_costs_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["costs", "report", "--ledger", "nosuch://x"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("powertools costs: no ledger for the URL scheme 'nosuch'")
    assert err.count("\n") == 1
    assert main(["costs", "report", "--ledger", "memory://", "--tz", "Mars/Olympus"]) == 2
    assert "Mars/Olympus" in capsys.readouterr().err
    assert main(["costs", "nonsense"]) == 2
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert main(["costs", "report", "--ledger", "memory://", "--html", str(blocked / "x")]) == 1
    assert "cannot write" in capsys.readouterr().err


def test_prices_show_update_lint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prices", "show", "gpt-4o-mini", "--json"]) == 0
    shown = _json(capsys)
    assert isinstance(shown, dict)
    assert shown["per_million_usd"]["input"] == "0.15"
    assert main(["prices", "show", "no-such-model"]) == 1
    assert "no price known" in capsys.readouterr().err
    good = {
        "my-model": {
            "litellm_provider": "openai",
            "mode": "chat",
            "input_cost_per_token": 1e-6,
            "output_cost_per_token": 2e-6,
        }
    }
    source = tmp_path / "prices.json"
    source.write_text(json.dumps(good))
    assert main(["prices", "lint", str(source), "--json"]) == 0
    linted = _json(capsys)
    assert isinstance(linted, dict)
    assert linted["lint"] == []
    bad = {
        **good,
        "odd-model": {
            "litellm_provider": "openai",
            "mode": "chat",
            "input_cost_per_token": 1e-6,
            "output_cost_per_token": 2e-6,
            "cache_read_input_token_cost": 2e-6,
        },
    }
    source.write_text(json.dumps(bad))
    assert main(["prices", "lint", str(source)]) == 1
    assert "odd-model" in capsys.readouterr().out
    store = tmp_path / "store"
    assert main(["prices", "update", str(source), "--dir", str(store), "--json"]) == 0
    updated = _json(capsys)
    assert isinstance(updated, dict)
    assert updated["version"] == 1
    assert main(["prices", "update", str(source), "--dir", str(store), "--strict"]) == 1
    assert "lint" in capsys.readouterr().err


def test_sessions_list_show_backup_restore_recover_cleanup(
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = "memory://commands-test"
    session = Session("chat", store=store)
    session.set("user", "ada")
    assert main(["sessions", "list", "--store", store, "--json"]) == 0
    assert _json(capsys) == {"sessions": ["chat"]}
    assert main(["sessions", "backup", "chat", "chat-backup", "--store", store]) == 0
    assert "backed up chat to chat-backup" in capsys.readouterr().out
    session.set("user", "mallory")
    assert main(["sessions", "restore", "chat", "chat-backup", "--store", store]) == 0
    capsys.readouterr()
    assert main(["sessions", "show", "chat", "--store", store, "--json"]) == 0
    shown = _json(capsys)
    assert isinstance(shown, dict)
    assert shown["data"] == {"user": "ada"}
    assert main(["sessions", "recover", "chat", "--store", store]) == 0
    assert "recovered at version" in capsys.readouterr().out
    assert main(["sessions", "cleanup", "--store", store, "--json"]) == 0
    assert _json(capsys) == {"removed": []}
    assert main(["sessions", "show", "nobody", "--store", store]) == 1
    err = capsys.readouterr().err
    assert "no session 'nobody'" in err
    assert "powertools sessions list --store memory://commands-test" in err
    assert main(["sessions", "list", "--store", "nosuch://x"]) == 1


def test_logs_query_tail_count_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sink = f"sqlite:///{tmp_path / 'events.db'}"
    log = StructuredLogger("cli-test", sinks=[sink])
    for i, model in enumerate(["gpt-4o", "gpt-4o-mini", "gpt-4o"]):
        log.info("llm_call", model=model, n=i)
    log.warning("slow", model="gpt-4o")
    log.close()
    assert main(["logs", "count", "--sink", sink, "--event", "llm_call", "--json"]) == 0
    assert _json(capsys) == {"count": 3}
    assert main(["logs", "query", "--sink", sink, "--where", "model=gpt-4o", "--json"]) == 0
    found = _json(capsys)
    assert isinstance(found, dict)
    assert [e["event"] for e in found["events"]] == ["llm_call", "llm_call", "slow"]
    assert main(["logs", "tail", "--sink", sink, "-n", "1"]) == 0
    assert "slow" in capsys.readouterr().out
    assert main(["logs", "count", "--sink", sink, "--level", "warning"]) == 0
    assert capsys.readouterr().out.strip() == "1"
    assert main(["logs", "query", "--sink", sink, "--where", "model"]) == 2
    assert "not KEY=VALUE" in capsys.readouterr().err
    trail = AuditTrail(tmp_path / "audit.log", checkpoint_every=2)
    for who in ("ada", "grace", "linus"):
        trail.append("login", actor=who, resource="console")
    trail.close()
    assert main(["logs", "verify-audit", str(tmp_path / "audit.log"), "--json"]) == 0
    verdict = _json(capsys)
    assert isinstance(verdict, dict)
    assert verdict["ok"] is True
    lines = (tmp_path / "audit.log").read_text().splitlines()
    (tmp_path / "audit.log").write_text("\n".join([lines[0], lines[2]]) + "\n")
    assert main(["logs", "verify-audit", str(tmp_path / "audit.log")]) == 1
    assert "FAILED" in capsys.readouterr().out
    assert main(["logs", "verify-audit", str(tmp_path / "missing.log")]) == 2


def test_config_command_shows_where_values_came_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "powertools.toml"
    path.write_text("[cost]\nbudget_usd_per_month = 12\n")
    assert main(["config", "--file", str(path), "--json"]) == 0
    data = _json(capsys)
    assert isinstance(data, dict)
    row = next(r for r in data["options"] if r["key"] == "cost.budget_usd_per_month")
    assert (row["value"], row["from"]) == ("12", str(path))
    path.write_text("[cost]\nbudget_usd = 12\n")
    assert main(["config", "--file", str(path)]) == 2
    assert "did you mean 'budget_usd_per_month'" in capsys.readouterr().err

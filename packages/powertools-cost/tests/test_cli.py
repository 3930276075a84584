"""The powertools-cost command: prices, versions, reports and exports from a ledger."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from powertools.cost import CostTracker, Usage, from_json
from powertools.cost.cli import default_ledger_url, main

DATA = Path(__file__).parent / "data" / "litellm_prices.json"
NOON = datetime(2026, 11, 25, 12, tzinfo=UTC).timestamp()


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out), out.getvalue()


def test_show_prints_every_bucket_tiers_and_batch() -> None:
    code, text = run("prices", "show", "claude-sonnet-4-5-20250929")
    assert code == 0
    assert text.startswith("claude-sonnet-4-5 (anthropic)")
    assert "  cache_write_1h  $6\n" in text
    assert "above 200,000 prompt tokens: input $6, output $22.5" in text
    assert "batch: x0.5" in text


def test_an_unknown_model_fails_with_close_matches(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("prices", "show", "gpt-4q")[0] == 1
    assert "Did you mean 'gpt-4'" in capsys.readouterr().err


def test_import_versions_and_use(tmp_path: Path) -> None:
    store = str(tmp_path / "prices")
    assert "no imported prices" in run("prices", "versions", "--dir", store)[1]
    code, text = run("prices", "import", str(DATA), "--dir", store)
    assert code == 0
    assert text.startswith("stored version 1: 4 models (2 skipped)")
    assert "  lint: broken-cache-model: cache read" in text
    run("prices", "import", str(DATA), "--dir", store)
    assert run("prices", "versions", "--dir", store)[1] == "1\n2  (current)\n"
    assert run("prices", "use", "1", "--dir", store) == (0, "now using price version 1\n")
    assert run("prices", "versions", "--dir", store)[1] == "1  (current)\n2\n"
    assert run("prices", "use", "7", "--dir", store)[0] == 1
    assert run("prices", "import", str(DATA), "--strict", "--dir", store)[0] == 1


@pytest.fixture
def ledger(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    tracker = CostTracker(ledger=url, clock=lambda: NOON)
    with tracker.track_call("summarise", "gpt-4o-mini", user="alice") as span:
        span.record(Usage(input=1000, output=500))
    with tracker.track_call("draft", "gpt-4o", user="bob") as span:
        span.record(Usage(input=2000, cache_read=1000, output=100))
    with tracker.track_call("idle"):
        pass
    tracker.ledger.close()  # type: ignore[attr-defined]
    return url


def test_report_reads_every_process_calls_from_the_ledger(ledger: str) -> None:
    code, text = run("report", "--ledger", ledger, "--day", "2026-11-25")
    assert code == 0
    lines = text.splitlines()
    # gpt-4o-mini 1000 x 0.15 + 500 x 0.6 = $0.00045; gpt-4o 2000 x 2.5 + 1000 x 1.25 + 100 x 10
    assert lines[0] == "2026-11-25: $0.0077 over 3 tasks, 2 calls (1 unmetered), 4,600 tokens"
    assert "  model gpt-4o                         $0.00725" in lines
    assert "  user  alice                          $0.00045" in lines
    assert run("report", "--ledger", ledger, "--day", "2026-11-24")[1].startswith(
        "2026-11-24: $0 over 0 tasks"
    )


def test_export_is_lossless_and_filters_by_day(ledger: str) -> None:
    code, text = run("export", "--ledger", ledger, "--format", "json")
    assert code == 0
    records = from_json(text)
    assert [r.task for r in records] == ["summarise", "draft", "idle"]
    assert sum(r.cost_fd for r in records) == 7_700_000_000_000
    csv_text = run("export", "--ledger", ledger)[1]
    assert csv_text.count("\n") == 4
    assert run("export", "--ledger", ledger, "--since", "2026-11-26")[1].count("\n") == 1


def test_bad_time_zone_and_missing_default_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("POWERTOOLS_COST_LEDGER", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_ledger_url() == f"sqlite:///{tmp_path}/powertools/cost/ledger.sqlite3"
    assert run("report")[0] == 1
    assert "no ledger at" in capsys.readouterr().err
    assert not (tmp_path / "powertools").exists()  # a report creates nothing
    assert run("report", "--tz", "Mars/Olympus")[0] == 2
    assert "unknown time zone" in capsys.readouterr().err


def test_python_dash_m_runs_the_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "powertools.cost", "prices", "versions", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "the shipped prices apply" in done.stdout


def test_show_prints_money_never_in_exponent_form() -> None:
    code, text = run("prices", "show", "gpt-4o")
    assert code == 0
    assert "  output          $10\n" in text
    assert "E+" not in text


def test_show_of_an_imported_model_without_batch_prices_prints_no_batch_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import powertools.cost._pricebook as pricebook

    store = tmp_path / "prices"
    assert run("prices", "import", str(DATA), "--dir", str(store))[0] == 0
    monkeypatch.setenv("POWERTOOLS_COST_PRICES_DIR", str(store))
    monkeypatch.setattr(pricebook, "_default", None)  # read the imported prices afresh
    code, text = run("prices", "show", "broken-cache-model")
    assert code == 0
    assert text.startswith("broken-cache-model (anthropic), from ")
    assert "  input           $1\n" in text
    assert "batch" not in text


def test_help_exits_zero_and_a_usage_error_exits_two(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--help")[0] == 0
    assert "prices" in capsys.readouterr().out
    assert run("refund")[0] == 2
    assert "invalid choice: 'refund'" in capsys.readouterr().err

"""``powertools costs report --html``: the page opens in headless Chromium, every chart draws.

Chromium is Debian's ``chromium`` (``.ci/run`` installs it). Locally, without it, the test
skips with the reason; with ``CI=true`` it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from powertools._cli import main
from powertools.cost import CostTracker

DAY = 86_400.0
DEC_1_2025 = 1_764_547_200.0


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed: .ci/run installs Debian's chromium")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def _open(page: Path) -> tuple[str, list[str]]:
    """The page's DOM after its scripts ran, and the console lines Chromium logged."""
    run = subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
         "--v=0", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    return run.stdout, console


@pytest.fixture
def ledger(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    now = [DEC_1_2025]
    tracker = CostTracker(ledger=url, clock=lambda: now[0])
    for day in range(6):
        now[0] = DEC_1_2025 + day * DAY + 3600
        for user, model in (("ada", "gpt-4o-mini"), ("grace", "gpt-4o")):
            with tracker.track_call(
                "code" if day % 2 else "summarise", model=model, user=user
            ) as s:
                s.record({"usage": {"prompt_tokens": 20_000, "completion_tokens": 4_000 + day}})
    return url


def test_every_chart_renders_with_no_console_error(ledger: str, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert main(["costs", "report", "--ledger", ledger, "--budget", "2", "--html", str(page)]) == 0
    html = page.read_text()
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing fetched at view time
    for title in ("Spend this month", "By model", "By task", "By user", "budget $2"):
        assert title in html
    dom, console = _open(page)
    assert 'data-charts="4/4"' in dom
    assert console == []


def test_the_check_sees_a_broken_page(tmp_path: Path) -> None:
    from powertools._html_report import _CHECK

    page = tmp_path / "broken.html"
    page.write_text(
        '<!doctype html><body><svg class="chart" width="10" height="10"></svg>'
        f"<script>nosuch();</script>{_CHECK}</body>"
    )
    dom, console = _open(page)
    assert 'data-charts="0/1"' in dom  # an empty chart is not counted as drawn
    assert any("Uncaught ReferenceError" in line for line in console)

"""Every test gets its own default store under tmp_path: nothing is written to the home folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from powertools.session.testing import FakeClock


@pytest.fixture(autouse=True)
def session_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder the default ``file://`` store uses in this test."""
    folder = tmp_path / "sessions"
    monkeypatch.setenv("POWERTOOLS_SESSION_DIR", str(folder))
    monkeypatch.delenv("POWERTOOLS_SESSION_STORE", raising=False)
    return folder


@pytest.fixture
def clock() -> FakeClock:
    """A fake wall clock for TTL tests."""
    return FakeClock(1_000_000.0)

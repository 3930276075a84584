"""Where the embedded stores and the signing key live by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from powertools.logging import data_dir
from powertools.logging._registry import key_dir


def test_without_settings_the_stores_and_key_follow_the_xdg_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POWERTOOLS_LOGGING_DIR")
    monkeypatch.delenv("POWERTOOLS_LOGGING_KEY_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert data_dir() == tmp_path / "data" / "powertools" / "logging"
    assert key_dir() == tmp_path / "config" / "powertools" / "logging" / "keys"


def test_without_xdg_folders_the_stores_and_key_live_under_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("POWERTOOLS_LOGGING_DIR", "POWERTOOLS_LOGGING_KEY_DIR"):
        monkeypatch.delenv(name)
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_dir() == tmp_path / ".local" / "share" / "powertools" / "logging"
    assert key_dir() == tmp_path / ".config" / "powertools" / "logging" / "keys"


def test_the_settings_may_start_with_a_tilde(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("POWERTOOLS_LOGGING_DIR", "~/logs")
    monkeypatch.setenv("POWERTOOLS_LOGGING_KEY_DIR", "~/keys")
    assert (data_dir(), key_dir()) == (tmp_path / "logs", tmp_path / "keys")

"""Each test starts with uncalibrated token estimates (the calibration is process-wide)."""

from __future__ import annotations

import pytest

import powertools.cost._tokens as tokens


@pytest.fixture(autouse=True)
def fresh_calibration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "CALIBRATION", tokens.Calibration())

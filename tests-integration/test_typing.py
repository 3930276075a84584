"""Type checkers see the top-level names with their real types, not Any."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from mypy import api

from powertools._exports import EXPORTS

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_mypy_sees_every_provided_top_level_name(tmp_path: Path) -> None:
    provided = [
        name
        for name, export in EXPORTS.items()
        if hasattr(importlib.import_module(export.module), name)
    ]
    assert provided, "no component provides a top-level name yet"
    source = tmp_path / "uses_powertools.py"
    source.write_text(
        "".join(f"from powertools import {name}\n" for name in provided)
        + "".join(f"reveal_type({name})\n" for name in provided)
    )
    stdout, stderr, status = api.run(
        ["--config-file", str(ROOT / "pyproject.toml"), "--no-incremental", str(source)]
    )
    assert status == 0 or "error:" not in stdout.replace("note:", ""), stdout + stderr
    revealed = [line for line in stdout.splitlines() if "Revealed type" in line]
    assert len(revealed) == len(provided), stdout
    assert not [line for line in revealed if '"Any"' in line], stdout

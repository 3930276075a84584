"""Every test stores the embedded defaults under its own temporary folder, never in $HOME."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from powertools.logging import _logger, clear_context


@pytest.fixture(autouse=True)
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "powertools-data"
    monkeypatch.setenv("POWERTOOLS_LOGGING_DIR", str(folder))
    clear_context()
    yield folder
    clear_context()
    for path, store in list(_logger._DEFAULT_STORES.items()):
        if folder in path.parents:
            store.close()
            del _logger._DEFAULT_STORES[path]

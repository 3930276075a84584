"""find_shared: the shared data folder beside the checkout, or beside the one it was cloned from."""

from __future__ import annotations

from pathlib import Path

import pytest

from powertools_testkit import find_shared
from powertools_testkit._shared import local_origin

CONFIG = '[core]\n\tbare = false\n[remote "origin"]\n\turl = {}\n\tfetch = +refs/heads/*\n'


@pytest.fixture(autouse=True)
def _no_explicit_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POWERTOOLS_SHARED_DIR", raising=False)


def _clone(where: Path, origin: str) -> Path:
    (where / ".git").mkdir(parents=True)
    (where / ".git" / "config").write_text(CONFIG.format(origin), encoding="utf-8")
    (where / "tests").mkdir()
    return where / "tests"


def _checkout_beside_shared(tmp_path: Path) -> Path:
    checkout = tmp_path / "work" / "main"
    checkout.mkdir(parents=True)
    (tmp_path / "work" / "shared" / "tiktoken").mkdir(parents=True)
    return checkout


def test_a_checkout_finds_the_shared_folder_above_it(tmp_path: Path) -> None:
    checkout = _checkout_beside_shared(tmp_path)
    assert find_shared(checkout, "tiktoken") == tmp_path / "work" / "shared" / "tiktoken"
    assert find_shared(checkout, "models/none.gguf") is None


@pytest.mark.parametrize("form", ["{}", "file://{}"])
def test_a_clone_made_elsewhere_finds_it_beside_its_origin(tmp_path: Path, form: str) -> None:
    checkout = _checkout_beside_shared(tmp_path)
    start = _clone(tmp_path / "elsewhere" / "clone", form.format(checkout))
    assert local_origin(start) == checkout.resolve()
    assert find_shared(start, "tiktoken") == tmp_path / "work" / "shared" / "tiktoken"


@pytest.mark.parametrize(
    "url", ["https://example.invalid/powertools.git", "relative/path", "/no/such/folder"]
)
def test_an_origin_that_is_not_a_folder_here_adds_nothing(tmp_path: Path, url: str) -> None:
    start = _clone(tmp_path / "clone", url)
    assert local_origin(start) is None
    assert find_shared(start, "tiktoken") is None


def test_a_damaged_git_config_adds_nothing(tmp_path: Path) -> None:
    (tmp_path / "clone" / ".git").mkdir(parents=True)
    (tmp_path / "clone" / ".git" / "config").write_text("url = [broken", encoding="utf-8")
    assert local_origin(tmp_path / "clone") is None


def test_the_explicit_folder_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    checkout = _checkout_beside_shared(tmp_path)
    (tmp_path / "mine" / "tiktoken").mkdir(parents=True)
    monkeypatch.setenv("POWERTOOLS_SHARED_DIR", str(tmp_path / "mine"))
    assert find_shared(checkout, "tiktoken") == tmp_path / "mine" / "tiktoken"

"""tools/release_notes.py: the committed release notes are the packages' changelogs, gathered."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent


notes = importlib.import_module("release_notes")  # from tools/, put on sys.path by conftest


def test_the_committed_release_notes_are_up_to_date() -> None:
    committed = (TOOLS.parent / "docs" / "release-notes.md").read_text(encoding="utf-8")
    assert committed == notes.build(), (
        "docs/release-notes.md is stale: python tools/release_notes.py"
    )


def test_each_changelog_becomes_a_section_with_its_headings_one_level_down(tmp_path: Path) -> None:
    for name, version in [
        ("powertools-zeta", "0.2.0"),
        ("ai-meta", "1.0.0"),
        ("powertools-alpha", "0.1.0"),
    ]:
        folder = tmp_path / "packages" / name
        folder.mkdir(parents=True)
        (folder / "CHANGELOG.md").write_text(
            f"# Changelog — {name}\n\n## {version}\n\n### Fixed\n\n- a change in {name}\n",
            encoding="utf-8",
        )
    page = notes.build(tmp_path)
    assert [line for line in page.splitlines() if line.startswith("## ")] == [
        "## ai-meta",
        "## powertools-alpha",
        "## powertools-zeta",
    ]
    assert "### 0.2.0\n\n#### Fixed\n\n- a change in powertools-zeta\n" in page
    assert "# Changelog" not in page


def test_check_fails_when_the_page_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(notes, "OUTPUT", tmp_path / "release-notes.md")
    monkeypatch.setattr(notes, "ROOT", tmp_path)
    (tmp_path / "release-notes.md").write_text("# old\n", encoding="utf-8")
    assert notes.main(["--check"]) == 1
    monkeypatch.setattr(notes, "build", lambda: "# new\n")
    assert notes.main([]) == 0
    assert notes.main(["--check"]) == 0

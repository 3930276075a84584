"""tools/security_scan.py: bandit's findings pass only when justified in place, with a reason."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent


scan = importlib.import_module("security_scan")  # from tools/, put on sys.path by conftest
CODE = "import pickle\n\n\ndef load(data: bytes) -> object:\n    return pickle.loads(data){}\n"


def _run(tmp_path: Path, comment: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    (tmp_path / "mod.py").write_text(CODE.format(comment), encoding="utf-8")
    code = scan.main([str(tmp_path)])
    return code, capsys.readouterr().out


def test_an_unjustified_finding_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(tmp_path, "", capsys)
    assert code == 1
    assert "FAIL B301 (MEDIUM) at " in out
    assert "# noqa: S301 -- <reason>" in out


@pytest.mark.parametrize("comment", ["  # noqa: S301", "  # nosec B301", "  # noqa: S608 -- other"])
def test_a_suppression_without_reason_or_for_another_rule_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], comment: str
) -> None:
    assert _run(tmp_path, comment, capsys)[0] == 1


@pytest.mark.parametrize(
    "comment", ["  # noqa: S301 - signed above", "  # nosec B301 -- signed above"]
)
def test_a_finding_justified_in_place_is_accepted_with_its_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], comment: str
) -> None:
    code, out = _run(tmp_path, comment, capsys)
    assert code == 0
    assert "accepted B301 at " in out
    assert out.rstrip().endswith("bandit: 1 medium/high findings, 1 justified")
    assert "signed above" in out


def test_the_libraries_sources_pass(capsys: pytest.CaptureFixture[str]) -> None:
    sources = sorted(str(p) for p in (TOOLS.parent / "packages").glob("*/src"))
    assert scan.main(sources) == 0, capsys.readouterr().out


def test_a_finding_accepted_in_the_config_passes_and_a_stale_entry_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(scan, "ROOT", tmp_path)
    entry = '[[tool.powertools-security.accepted]]\npath = "{}"\nrule = "{}"\nreason = "{}"\n'
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(entry.format("mod.py", "B301", "signed by the caller"), encoding="utf-8")
    code, out = _run(tmp_path, "", capsys)
    assert (code, "mod.py:5: signed by the caller" in out) == (0, True)
    pyproject.write_text(
        pyproject.read_text() + entry.format("gone.py", "B608", "was fixed"), encoding="utf-8"
    )
    code, out = _run(tmp_path, "", capsys)
    assert code == 1
    assert "FAIL pyproject.toml accepts B608 in gone.py, which has no such finding" in out

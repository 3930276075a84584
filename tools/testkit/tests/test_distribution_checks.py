"""Each shared package check passes on a good distribution and fails on a bad one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from powertools_testkit import (
    check_cheap_import,
    check_distribution,
    check_doctests,
    check_errors,
    check_exports,
    check_location,
    check_version,
)

GOOD_INIT = '''"""A package made up by the testkit's tests.

>>> 1 + 1
2
"""
__version__ = "1.0"
__all__ = ["__version__"]
'''
GOOD_ERRORS = """__all__ = ["FakeError", "BadError"]
class FakeError(Exception):
    pass
class BadError(FakeError):
    pass
"""


def _install(root: Path, name: str, *, version: str, init: str, owned: bool = True) -> None:
    """A made-up distribution ``name`` installed at ``root``: one package, with dist-info."""
    package = root / "fakens" / name
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(init, encoding="utf-8")
    (package / "errors.py").write_text(GOOD_ERRORS, encoding="utf-8")
    info = root / f"fake_{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: fake-{name}\nVersion: {version}\n", encoding="utf-8"
    )
    listed = [f"fakens/{name}/__init__.py", f"fakens/{name}/errors.py"] if owned else []
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in listed), encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on sys.path (and on the subprocesses' PYTHONPATH) holding made-up packages."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    for name in [m for m in sys.modules if m == "fakens" or m.startswith("fakens.")]:
        monkeypatch.delitem(sys.modules, name)
    return tmp_path


def test_a_good_distribution_passes_every_check(site: Path) -> None:
    _install(site, "good", version="1.0", init=GOOD_INIT)
    check_distribution("fake-good", module="fakens.good", heavy={"sqlite3"}, errors="FakeError")


def test_version_check_fails_when_metadata_differs(site: Path) -> None:
    _install(site, "old", version="2.0", init=GOOD_INIT)
    with pytest.raises(AssertionError, match=r"'1.0', but fake-old's metadata says '2.0'"):
        check_version("fake-old", "fakens.old")


def test_location_check_fails_for_a_module_the_distribution_does_not_own(site: Path) -> None:
    _install(site, "stray", version="1.0", init=GOOD_INIT, owned=False)
    with pytest.raises(AssertionError, match="which is not part of fake-stray"):
        check_location("fake-stray", "fakens.stray")


def test_location_check_fails_when_the_namespace_does_not_reach_the_folder(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install(site, "hidden", version="1.0", init=GOOD_INIT)
    import fakens.hidden

    monkeypatch.setattr(sys.modules["fakens"], "__path__", [str(site / "elsewhere")])
    assert fakens.hidden.__version__ == "1.0"
    with pytest.raises(AssertionError, match=r"is not reached through fakens.__path__"):
        check_location("fake-hidden", "fakens.hidden")


def test_cheap_import_check_fails_when_a_heavy_module_is_imported(site: Path) -> None:
    _install(site, "heavy", version="1.0", init=GOOD_INIT + "import sqlite3\n")
    with pytest.raises(AssertionError, match=r"loaded \['sqlite3'\]"):
        check_cheap_import("fakens.heavy", {"sqlite3"})


def test_cheap_import_check_fails_for_a_dotted_module(site: Path) -> None:
    _install(site, "meta", version="1.0", init=GOOD_INIT + "import importlib.metadata\n")
    with pytest.raises(AssertionError, match=r"loaded \['importlib.metadata'\]"):
        check_cheap_import("fakens.meta", {"importlib.metadata"})


def test_cheap_import_check_fails_when_the_import_fails(site: Path) -> None:
    _install(site, "broken", version="1.0", init=GOOD_INIT + "raise RuntimeError('boom')\n")
    with pytest.raises(AssertionError, match=r"importing fakens\.broken failed"):
        check_cheap_import("fakens.broken", {"sqlite3"})


def test_doctest_check_fails_on_a_wrong_example(site: Path) -> None:
    _install(site, "wrong", version="1.0", init=GOOD_INIT.replace(">>> 1 + 1\n2", ">>> 1 + 1\n3"))
    with pytest.raises(AssertionError, match=r"doctest failures: fakens\.wrong: 1 failed"):
        check_doctests("fakens.wrong")


def test_doctest_check_fails_when_there_is_no_example(site: Path) -> None:
    _install(site, "bare", version="1.0", init='__version__ = "1.0"\n')
    with pytest.raises(AssertionError, match="has no docstring examples"):
        check_doctests("fakens.bare")


def test_errors_check_fails_for_an_error_outside_the_base(site: Path) -> None:
    _install(site, "errs", version="1.0", init=GOOD_INIT)
    (site / "fakens" / "errs" / "errors.py").write_text(
        GOOD_ERRORS.replace("class BadError(FakeError)", "class BadError(ValueError)"),
        encoding="utf-8",
    )
    with pytest.raises(AssertionError, match=r"fakens.errs.errors.BadError does not derive"):
        check_errors("fakens.errs", "FakeError")


def test_errors_check_fails_when_the_base_is_not_public(site: Path) -> None:
    _install(site, "nobase", version="1.0", init=GOOD_INIT)
    (site / "fakens" / "nobase" / "errors.py").write_text(
        GOOD_ERRORS.replace('["FakeError", "BadError"]', '["BadError"]'), encoding="utf-8"
    )
    with pytest.raises(AssertionError, match=r"__all__ does not list FakeError"):
        check_errors("fakens.nobase", "FakeError")


LAZY_INIT = GOOD_INIT.replace(
    '__all__ = ["__version__"]',
    """__all__ = ["__version__", "FakeError", "Ghost"]
_LAZY = {"FakeError": "fakens.lazy.errors", "Ghost": "fakens.lazy.errors"}
def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(name)
    import importlib
    return getattr(importlib.import_module(_LAZY[name]), name)
def __dir__():
    return sorted({*globals(), *__all__})
""",
)


def test_exports_check_fails_for_a_lazy_name_its_module_does_not_define(site: Path) -> None:
    _install(site, "lazy", version="1.0", init=LAZY_INIT)
    with pytest.raises(AssertionError, match=r"cannot give: \['Ghost'\]"):
        check_exports("fakens.lazy")


def test_exports_check_fails_when_dir_hides_a_public_name(site: Path) -> None:
    init = LAZY_INIT.replace(', "Ghost"]', "]").replace("sorted({*globals(), *__all__})", "[]")
    _install(site, "hiding", version="1.0", init=init.replace("fakens.lazy", "fakens.hiding"))
    with pytest.raises(AssertionError, match=r"dir\(fakens.hiding\) leaves out"):
        check_exports("fakens.hiding")


def test_exports_check_fails_without_an_all(site: Path) -> None:
    _install(site, "noall", version="1.0", init='__version__ = "1.0"\n')
    with pytest.raises(AssertionError, match="has no __all__"):
        check_exports("fakens.noall")

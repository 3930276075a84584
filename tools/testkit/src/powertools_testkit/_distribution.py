"""The checks every powertools distribution's ``tests/test_package.py`` makes, shared here.

Each check raises ``AssertionError`` with a message naming what is wrong; the testkit's own tests
show each one failing on a bad input, so none of them can pass whatever the package does.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from powertools_testkit._doctests import run_doctests

__all__ = [
    "HEAVY",
    "check_cheap_import",
    "check_distribution",
    "check_doctests",
    "check_errors",
    "check_exports",
    "check_location",
    "check_version",
]

# Importing a package must not import these: optional backends import them where they are used.
HEAVY = frozenset(
    {
        "redis",
        "asyncpg",
        "boto3",
        "google",
        "httpx",
        "tiktoken",
        "cryptography",
        "nats",
        "aiokafka",
        "zstandard",
        "loguru",
        "pydantic",
    }
)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def check_version(dist: str, module: str) -> None:
    """``module.__version__`` is the version the distribution's metadata declares."""
    declared = metadata.version(dist)
    found = getattr(importlib.import_module(module), "__version__", None)
    assert found == declared, (
        f"{module}.__version__ is {found!r}, but {dist}'s metadata says {declared!r}"
    )


def _owned_by(dist: str, path: Path) -> bool:
    """Whether ``path`` is one of ``dist``'s installed files or in its (editable) project folder."""
    installed = metadata.distribution(dist)
    wanted = path.resolve()
    if any(Path(str(installed.locate_file(f))).resolve() == wanted for f in installed.files or ()):
        return True
    for folder in wanted.parents:  # an editable install: the nearest project file names it
        project = folder / "pyproject.toml"
        if project.is_file():
            name = tomllib.loads(project.read_text(encoding="utf-8")).get("project", {}).get("name")
            return isinstance(name, str) and _normalise(name) == _normalise(dist)
    return False


def check_location(dist: str, module: str) -> None:
    """``module`` is reached through its parent namespace and its file belongs to ``dist``.

    A distribution that shadowed the ``powertools`` namespace, or a module found in another
    distribution's folder (a stale copy, a wrong ``module-name``), fails here.
    """
    imported = importlib.import_module(module)
    origin = getattr(imported, "__file__", None)
    assert origin, f"{module} has no __file__: it is not a module of {dist}"
    path = Path(origin)
    parent = module.rpartition(".")[0]
    if parent:
        portions = {Path(p).resolve() for p in importlib.import_module(parent).__path__}
        portion = (path.parent if path.name == "__init__.py" else path).parent.resolve()
        assert portion in portions, (
            f"{module} is not reached through {parent}.__path__ ({sorted(map(str, portions))}); "
            f"its folder {portion} is missing from it"
        )
    assert _owned_by(dist, path), f"{module} was imported from {path}, which is not part of {dist}"


def check_cheap_import(module: str, heavy: Iterable[str] = HEAVY) -> None:
    """Importing ``module`` in a fresh interpreter loads none of the ``heavy`` modules.

    A name in ``heavy`` is a top-level package (``"redis"``: any of its modules) or a dotted
    module (``"importlib.metadata"``: that one).
    """
    code = f"import sys, {module}; print(' '.join(sys.modules))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert loaded.returncode == 0, f"importing {module} failed:\n{loaded.stderr}"
    names = set(loaded.stdout.split())
    found = (names | {n.split(".")[0] for n in names}) & set(heavy)
    assert not found, f"importing {module} loaded {sorted(found)}: import them where they are used"


def check_doctests(module: str) -> None:
    """The docstring examples of ``module`` and its submodules pass, and there is at least one."""
    ran = run_doctests(module)
    assert ran > 0, f"{module} has no docstring examples: document its API with runnable ones"


def check_exports(module: str) -> None:
    """Every name in ``<module>.__all__`` resolves and is listed by ``dir()`` (decision 0003:
    names load on first use, so a wrong entry in the lazy table shows only when used)."""
    package = importlib.import_module(module)
    names = list(getattr(package, "__all__", ()))
    assert names, f"{module} has no __all__: list its public names"
    unresolved = [name for name in names if not hasattr(package, name)]
    assert not unresolved, f"{module}.__all__ names what it cannot give: {unresolved}"
    missing = sorted(set(names) - set(dir(package)))
    assert not missing, f"dir({module}) leaves out {missing}"


def check_errors(module: str, base: str) -> None:
    """Every exception class in ``<module>.errors.__all__`` derives from ``base``."""
    errors = importlib.import_module(f"{module}.errors")
    root = getattr(errors, base)
    names = list(getattr(errors, "__all__", ()))
    assert base in names, f"{module}.errors.__all__ does not list {base}"
    for name in names:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, root), f"{module}.errors.{name} does not derive from {base}"


def check_distribution(
    dist: str,
    *,
    module: str,
    heavy: Iterable[str] = HEAVY,
    errors: str | None = None,
) -> None:
    """All of the above for one distribution, as each package's ``tests/test_package.py`` calls it.

    ``errors`` names the package's base exception in ``<module>.errors``, when it has one.
    """
    check_version(dist, module)
    check_location(dist, module)
    check_cheap_import(module, heavy)
    check_doctests(module)
    check_exports(module)
    if errors is not None:
        check_errors(module, errors)

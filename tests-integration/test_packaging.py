"""Every distribution as users get it: built as a wheel and installed alone in a fresh venv."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
COMPONENTS = ["retry", "ratelimit", "cost", "session", "logging", "router"]
META = "ai-powertools"


def _uv() -> list[str]:
    found = shutil.which("uv")
    if found:
        return [found]
    return [sys.executable, "-m", "uv"]


def _run(*argv: str, cwd: Path | None = None) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, check=False)
    assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """All seven wheels, built once per test session."""
    out = tmp_path_factory.mktemp("dist")
    _run(*_uv(), "build", "--all-packages", "--wheel", "--out-dir", str(out), cwd=ROOT)
    found: dict[str, Path] = {}
    for wheel in out.glob("*.whl"):
        found[wheel.name.split("-")[0].replace("_", "-")] = wheel
    return found


def _powertools_requirements(wheel: Path) -> list[str]:
    """The powertools distributions a wheel declares as (non-optional) dependencies."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        lines = archive.read(name).decode().splitlines()
    required = [
        line.split(":", 1)[1].strip() for line in lines if line.startswith("Requires-Dist:")
    ]
    return [
        r.split(">")[0].split("=")[0].strip()
        for r in required
        if ("powertools" in r.split(">")[0]) and "extra ==" not in r
    ]


def _venv_with(tmp_path: Path, wheels: dict[str, Path], dist: str, *, deps: bool = True) -> Path:
    venv = tmp_path / f"venv-{dist}"
    _run(*_uv(), "venv", "--quiet", "--python", sys.executable, str(venv))
    python = venv / "bin" / "python"
    local = [wheels[dist]]
    if deps:
        pending = list(_powertools_requirements(wheels[dist]))
        while pending:
            needed = pending.pop()
            if wheels[needed] not in local:
                local.append(wheels[needed])
                pending += _powertools_requirements(wheels[needed])
    flags = [] if deps else ["--no-deps"]
    _run(
        *_uv(),
        "pip",
        "install",
        "--quiet",
        "--python",
        str(python),
        *flags,
        *[str(w) for w in local],
    )
    return python


def test_seven_wheels_are_built(wheels: dict[str, Path]) -> None:
    assert sorted(wheels) == sorted([*(f"powertools-{c}" for c in COMPONENTS), META])


@pytest.mark.parametrize("component", COMPONENTS)
def test_each_component_wheel_imports_alone(
    component: str, wheels: dict[str, Path], tmp_path: Path
) -> None:
    with zipfile.ZipFile(wheels[f"powertools-{component}"]) as archive:
        assert "powertools/__init__.py" not in archive.namelist()
        assert f"powertools/{component}/py.typed" in archive.namelist()
    python = _venv_with(tmp_path, wheels, f"powertools-{component}")
    code = (
        f"import importlib.util, json, powertools, powertools.{component}\n"
        f"others = {[c for c in COMPONENTS if c != component]}\n"
        f"print(json.dumps({{'version': powertools.{component}.__version__,\n"
        "  'namespace': getattr(powertools, '__file__', None) is None,\n"
        "  'present': [o for o in others if importlib.util.find_spec('powertools.' + o)]}))"
    )
    report = json.loads(_run(str(python), "-c", code))
    assert report["version"] == "0.1.0"
    assert report["namespace"], "a component wheel must not ship powertools/__init__.py"
    expected = {"router": ["retry", "cost"]}.get(component, [])  # router's declared dependencies
    assert sorted(report["present"]) == sorted(expected)


META_CHECK = """
import importlib, json, powertools
from powertools._exports import EXPORTS, resolve
out = {}
for name, export in EXPORTS.items():
    component = importlib.import_module(export.module)
    if not hasattr(component, name):
        try:
            resolve(name)
        except ImportError as exc:
            out[name] = "hint" if export.distribution in str(exc) else "bad: " + str(exc)
        continue
    namespace = {}
    exec(f"from powertools import {name}", namespace)
    value = namespace[name]
    # `retry` is also a submodule's name: there the module itself is callable as the decorator
    same = value is getattr(component, name) or (value is component and callable(component))
    out[name] = "ok" if same else f"bad: {value!r}"
print(json.dumps(out))
"""


def test_meta_wheel_gives_the_top_level_names(wheels: dict[str, Path], tmp_path: Path) -> None:
    python = _venv_with(tmp_path, wheels, META)
    report = json.loads(_run(str(python), "-c", META_CHECK))
    assert set(report) >= {
        "LLMRouter",
        "CostTracker",
        "Session",
        "RateLimiter",
        "QuotaManager",
        "rate_limit",
        "ErrorHandler",
        "retry",
        "circuit_breaker",
        "StructuredLogger",
    }
    assert all(status in {"ok", "hint"} for status in report.values()), report
    assert "powertools-retry" in _run(str(python.parent / "powertools"), "info")


def test_meta_wheel_alone_names_what_to_install(wheels: dict[str, Path], tmp_path: Path) -> None:
    python = _venv_with(tmp_path, wheels, META, deps=False)
    code = "try:\n    from powertools import Session\nexcept ImportError as exc:\n    print(exc)\n"
    assert "pip install powertools-session" in _run(str(python), "-c", code)

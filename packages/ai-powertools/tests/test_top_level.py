"""The top-level names: lazy, typed, and explicit about what is missing."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import powertools
from powertools import _exports
from powertools._cli import main
from powertools._components import discover

SPEC_NAMES = [
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
]


def test_every_spec_name_is_in_the_table_and_in_dir() -> None:
    assert set(SPEC_NAMES) <= set(_exports.EXPORTS)
    assert set(SPEC_NAMES) <= set(dir(powertools))
    assert set(SPEC_NAMES) <= set(powertools.__all__)


def test_the_namespace_reaches_every_component() -> None:
    for module in {e.module for e in _exports.EXPORTS.values()}:
        assert importlib.import_module(module).__name__ == module


def test_import_powertools_imports_no_component() -> None:
    code = (
        "import sys, powertools; "
        "print(sorted(m for m in sys.modules if m.startswith('powertools.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() in {"[]", "['powertools._exports']"}


@pytest.mark.parametrize("name", SPEC_NAMES)
def test_each_name_resolves_to_its_component_or_says_what_to_install(name: str) -> None:
    export = _exports.EXPORTS[name]
    component = importlib.import_module(export.module)
    if hasattr(component, name):
        value = getattr(powertools, name)
        # `retry` is also the name of the submodule powertools.retry: importing the submodule
        # binds the module there, so the module itself must be callable as the decorator.
        assert value is getattr(component, name) or (value is component and callable(component))
    else:
        with pytest.raises(ImportError, match=f"pip install -U {export.distribution}"):
            _exports.resolve(name)


def test_a_name_shared_with_a_submodule_keeps_the_submodule_whole() -> None:
    # `from powertools import retry` first, then the submodule: both must work.
    code = (
        "from powertools import retry\n"
        "import powertools.retry\n"
        "assert powertools.retry.CircuitBreaker\n"
        "assert callable(retry)\n"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.stdout.strip() == "ok", out.stderr


def test_a_missing_distribution_names_the_pip_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        _exports.EXPORTS, "Ghost", _exports.Export("powertools.ghost", "powertools-ghost")
    )
    with pytest.raises(ImportError, match="pip install powertools-ghost") as info:
        _exports.resolve("Ghost")
    assert info.value.name == "powertools.ghost"


def test_a_missing_dependency_of_a_component_is_not_disguised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(name: str) -> None:
        raise ModuleNotFoundError("No module named 'zstandard'", name="zstandard")

    monkeypatch.setattr(_exports.importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError, match="zstandard"):
        _exports.resolve("Session")


def test_unknown_names_are_attribute_errors() -> None:
    assert not hasattr(powertools, "NoSuchThing")
    with pytest.raises(ImportError):
        exec("from powertools import NoSuchThing", {})


def test_cli_info_lists_all_six_components(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for dist in (
        "powertools-retry",
        "powertools-ratelimit",
        "powertools-cost",
        "powertools-session",
        "powertools-logging",
        "powertools-router",
    ):
        assert dist in out
    assert "missing" not in out
    assert set(discover().components) == {
        "retry",
        "ratelimit",
        "cost",
        "session",
        "logging",
        "router",
        "stack",
    }


def test_console_script_is_installed() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "powertools._cli", "info"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "powertools-retry" in out.stdout


def test_components_commands_run_through_powertools(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "prices", "show", "gpt-4o-mini"]) == 0
    assert capsys.readouterr().out.startswith("gpt-4o-mini (openai)")
    assert main(["logging", "audit", "verify", "/no/such/trail"]) == 2
    assert "powertools logging" in capsys.readouterr().err
    assert main(["retry", "anything"]) == 2  # retry contributes no command
    assert "invalid choice: 'retry'" in capsys.readouterr().err
    assert main(["--help"]) == 0
    assert "cost" in capsys.readouterr().out

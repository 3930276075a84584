"""The stack's configuration: precedence, validation, and errors that name the bad key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from powertools._components import discover
from powertools._config import StackConfigError, coerce, load_config
from powertools._stack import Stack

SCHEMA = {name: info.options for name, info in discover().components.items()}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_defaults_come_from_the_components() -> None:
    config = load_config(SCHEMA, env={}, cwd=None)
    assert config.options["retry"]["max_attempts"] == 2
    assert config.options["cost"]["ledger"] == "memory://"
    assert config.sources == {}
    assert config.files == []


def test_precedence_pyproject_then_toml_then_env_then_overrides(tmp_path: Path) -> None:
    _write(
        tmp_path / "pyproject.toml",
        "[project]\nname = 'app'\n[tool.powertools.cost]\nbudget_usd_per_month = 10\n"
        "tz = 'Europe/Paris'\n[tool.powertools.retry]\nmax_attempts = 4\n",
    )
    _write(tmp_path / "powertools.toml", "[cost]\nbudget_usd_per_month = 20\n")
    env = {"POWERTOOLS_COST_BUDGET_USD_PER_MONTH": "30", "POWERTOOLS_RETRY_MAX_ATTEMPTS": "5"}
    config = load_config(SCHEMA, env=env, cwd=tmp_path, overrides={"retry": {"max_attempts": 6}})
    assert config.options["cost"]["budget_usd_per_month"] == Decimal("30")
    assert config.options["cost"]["tz"] == "Europe/Paris"  # only pyproject sets it
    assert config.options["retry"]["max_attempts"] == 6
    assert config.sources["cost.tz"] == str(tmp_path / "pyproject.toml")
    assert config.sources["cost.budget_usd_per_month"] == "POWERTOOLS_COST_BUDGET_USD_PER_MONTH"
    assert config.sources["retry.max_attempts"] == "Stack.from_config(overrides=...)"
    assert config.files == [tmp_path / "pyproject.toml", tmp_path / "powertools.toml"]
    without_env = load_config(SCHEMA, env={}, cwd=tmp_path)
    assert without_env.options["cost"]["budget_usd_per_month"] == Decimal("20")


def test_powertools_config_names_the_file(tmp_path: Path) -> None:
    named = _write(tmp_path / "elsewhere.toml", "[session]\nname = 'chat'\n")
    _write(tmp_path / "powertools.toml", "[session]\nname = 'ignored'\n")
    config = load_config(SCHEMA, env={"POWERTOOLS_CONFIG": str(named)}, cwd=tmp_path)
    assert config.options["session"]["name"] == "chat"
    with pytest.raises(StackConfigError, match=r"POWERTOOLS_CONFIG=.*no such file") as info:
        load_config(SCHEMA, env={"POWERTOOLS_CONFIG": str(tmp_path / "nope.toml")}, cwd=None)
    assert info.value.key == "POWERTOOLS_CONFIG"


def test_an_unknown_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    path = _write(tmp_path / "powertools.toml", "[cost]\nbudget_usd = 10\n")
    with pytest.raises(StackConfigError) as info:
        load_config(SCHEMA, path=path, env={})
    assert info.value.key == "cost.budget_usd"
    message = str(info.value)
    assert str(path) in message
    assert "did you mean 'budget_usd_per_month'" in message


def test_an_unknown_section_lists_the_installed_components(tmp_path: Path) -> None:
    path = _write(tmp_path / "powertools.toml", "[cots]\nledger = 'memory://'\n")
    with pytest.raises(StackConfigError, match=r"unknown section \[cots\].*'cost'") as info:
        load_config(SCHEMA, path=path, env={})
    assert info.value.key == "cots"


def test_a_section_that_is_not_a_table(tmp_path: Path) -> None:
    path = _write(tmp_path / "powertools.toml", "cost = 5\n")
    with pytest.raises(StackConfigError, match=r"must be a table"):
        load_config(SCHEMA, path=path, env={})


@pytest.mark.parametrize(
    ("section", "key", "value", "kind"),
    [
        ("cost", "budget_usd_per_month", "'lots'", "a decimal number"),
        ("retry", "max_attempts", "2.5", "an integer"),
        ("retry", "max_attempts", "true", "an integer"),
        ("retry", "recovery_timeout", "'soon'", "a number"),
        ("router", "hedge", "'maybe'", "true or false"),
        ("logging", "sinks", "[1, 2]", "a list of strings"),
        ("session", "name", "3", "a string"),
    ],
)
def test_a_value_of_the_wrong_type_names_key_type_and_help(
    tmp_path: Path, section: str, key: str, value: str, kind: str
) -> None:
    path = _write(tmp_path / "powertools.toml", f"[{section}]\n{key} = {value}\n")
    with pytest.raises(StackConfigError, match=rf"{section}\.{key} = .* is not {kind}") as info:
        load_config(SCHEMA, path=path, env={})
    assert info.value.key == f"{section}.{key}"


def test_a_bad_environment_value_names_the_variable() -> None:
    env = {"POWERTOOLS_RATELIMIT_MAX_CONCURRENT": "many"}
    with pytest.raises(
        StackConfigError, match=r"POWERTOOLS_RATELIMIT_MAX_CONCURRENT: .* not an integer"
    ):
        load_config(SCHEMA, env=env, cwd=None)


def test_unrelated_powertools_variables_are_left_alone() -> None:
    config = load_config(SCHEMA, env={"POWERTOOLS_LOGGING_DIR": "/tmp/x"}, cwd=None)
    assert config.sources == {}


def test_invalid_toml_and_a_missing_file_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(StackConfigError, match="not valid TOML"):
        load_config(SCHEMA, path=_write(tmp_path / "powertools.toml", "[cost\n"), env={})
    with pytest.raises(StackConfigError, match="no such configuration file"):
        load_config(SCHEMA, path=tmp_path / "missing.toml", env={})


def test_coerce_reads_environment_strings() -> None:
    assert coerce("list", "console, sqlite:///x.db") == ["console", "sqlite:///x.db"]
    assert coerce("bool", "off") is False
    assert coerce("float", "1.5") == 1.5
    assert coerce("int", "7") == 7
    assert coerce("decimal", None) is None
    with pytest.raises(ValueError, match="x"):
        coerce("decimal", "x")


def test_a_part_that_cannot_be_built_names_its_section() -> None:
    with pytest.raises(StackConfigError, match=r"\[cost\] could not be built") as info:
        Stack.from_config(overrides={"cost": {"ledger": "nosuch://x"}}, env={}, cwd=None)
    assert info.value.key == "cost"


def test_a_section_of_a_component_that_failed_to_load_says_why() -> None:
    from importlib import metadata

    from powertools._components import GROUP

    broken = metadata.EntryPoint("ghost", "powertools_no_such_module:hook", GROUP)
    found = discover((*metadata.entry_points(group=GROUP), broken))
    with pytest.raises(StackConfigError, match=r"\[ghost\]: component 'ghost'.*failed to load"):
        Stack.from_config(overrides={"ghost": {"x": 1}}, env={}, cwd=None, discovery=found)

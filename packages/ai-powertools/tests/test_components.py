"""Discovery through the ``powertools.components`` entry points, and the command built on it."""

from __future__ import annotations

import importlib
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

from powertools import _cli, _cmd_info, _components
from powertools._components import GROUP, discover
from powertools._stack import Stack

THIRD_PARTY = """
NAME = "acme"
EXPORTS = {"AcmeThing": "acme_powertools_plugin:AcmeThing"}
COMMANDS = {"acme": ("acme's own command", "acme_powertools_plugin:main")}
OPTIONS = {"greeting": ("str", "hello", "what it says")}
AFTER = ("logging",)


class AcmeThing:
    def __init__(self, greeting, logger):
        self.greeting = greeting
        self.logger = logger


def build(options, parts):
    return AcmeThing(options["greeting"], parts.get("logging"))


def main(argv, *, prog):
    print(prog, *argv)
    return 3
"""


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> metadata.EntryPoint:
    (tmp_path / "acme_powertools_plugin.py").write_text(textwrap.dedent(THIRD_PARTY))
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("acme_powertools_plugin", None)
    return metadata.EntryPoint("acme", "acme_powertools_plugin", GROUP)


def _installed_plus(*extra: metadata.EntryPoint) -> tuple[metadata.EntryPoint, ...]:
    return (*metadata.entry_points(group=GROUP), *extra)


def test_every_installed_component_comes_from_its_entry_point() -> None:
    found = discover()
    assert not found.failures
    assert found.components["cost"].exports["CostTracker"] == "powertools.cost:CostTracker"
    assert found.components["cost"].distribution == "powertools-cost"
    assert "budget_usd_per_month" in found.components["cost"].options
    assert found.export("Session") == "powertools.session:Session"
    assert found.export("Nothing") is None


def test_a_broken_component_is_reported_and_the_others_still_load() -> None:
    broken = metadata.EntryPoint("ghost", "powertools_no_such_module:hook", GROUP)
    found = discover(_installed_plus(broken))
    assert [f.name for f in found.failures] == ["ghost"]
    assert "ModuleNotFoundError" in found.failures[0].error
    assert "powertools_no_such_module" in found.failures[0].line()
    assert {"cost", "logging", "session"} <= set(found.components)


def test_a_component_declaring_an_unknown_option_type_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bad_options_plugin.py").write_text(
        'NAME = "bad"\nOPTIONS = {"size": ("complex", None, "")}\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found = discover((metadata.EntryPoint("bad", "bad_options_plugin", GROUP),))
    assert "unknown type 'complex'" in found.failures[0].error


def test_a_third_party_component_joins_names_commands_config_and_stack(
    plugin: metadata.EntryPoint, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    found = discover(_installed_plus(plugin))
    assert found.commands()["acme"].component == "acme"
    stack = Stack.from_config(
        overrides={
            "acme": {"greeting": "bonjour"},
            "logging": {"sinks": ["console"]},
            "session": {"store": "memory://components-test"},
        },
        cwd=None,
        env={},
        discovery=found,
    )
    assert stack["acme"].greeting == "bonjour"
    assert stack["acme"].logger is stack.logger  # built after the part it asked for
    monkeypatch.setattr(_cli, "discover", lambda: found)
    assert _cli.main(["acme", "x", "y"]) == 3
    assert capsys.readouterr().out.strip() == "powertools acme x y"


def test_top_level_names_resolve_through_a_third_party_entry_point(
    plugin: metadata.EntryPoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    import powertools
    from powertools import _exports

    monkeypatch.setattr(_components, "_installed", lambda: {"acme": plugin})
    _components._load_installed.cache_clear()
    try:
        assert _exports.resolve("AcmeThing").__name__ == "AcmeThing"
        with pytest.raises(AttributeError):
            _exports.resolve("NotExportedByAnyone")
    finally:
        _components._load_installed.cache_clear()
    assert powertools.CostTracker.__name__ == "CostTracker"


def test_a_spec_name_whose_component_fails_to_load_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from powertools import MissingComponentError, _exports

    broken = metadata.EntryPoint("session", "powertools_no_such_module:hook", GROUP)
    monkeypatch.setattr(_components, "_installed", lambda: {"session": broken})
    _components._load_installed.cache_clear()
    try:
        with pytest.raises(MissingComponentError, match=r"failed to load.*pip install"):
            _exports.resolve("Session")
    finally:
        _components._load_installed.cache_clear()


def test_help_lists_exactly_the_commands_that_load_and_no_rst(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _cli.main(["--help"]) == 0
    text = capsys.readouterr().out
    assert "``" not in text
    commands = discover().commands()
    for name, command in commands.items():
        assert f"    {name} " in text
        assert callable(command.load()), name
    for absent in ("retry", "ratelimit", "session", "router"):
        assert f"    {absent} " not in text  # components that contribute no command


def test_info_reports_a_failed_component_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = metadata.EntryPoint("ghost", "powertools_no_such_module:hook", GROUP)
    found = discover(_installed_plus(broken))
    monkeypatch.setattr(_cmd_info, "discover", lambda: found)
    assert _cli.main(["info"]) == 1
    assert "component 'ghost'" in capsys.readouterr().out
    assert _cli.main(["--json", "info"]) == 1
    assert '"failed": [{"name": "ghost"' in capsys.readouterr().out


def test_a_command_whose_module_is_broken_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    found = discover()
    bad = _components.Command("costs", "x", "powertools_no_such_module:main", "stack")
    found.components["stack"] = _components.ComponentInfo(
        "stack", "ai-powertools", "0", {}, (bad,), {}, (), None
    )
    monkeypatch.setattr(_cli, "discover", lambda: found)
    assert _cli.main(["costs", "report"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "failed to load" in err


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli.main(["frobnicate"]) == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


def test_load_target_walks_attributes() -> None:
    assert _components.load_target("powertools._components:Discovery.commands") is (
        importlib.import_module("powertools._components").Discovery.commands
    )

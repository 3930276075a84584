"""Edges of the commands and helpers: every command's --help, JSON of unusual values, private
names, a component that fails to load behind another, and audit verification options."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from powertools import _cmd_costs, _cmd_info, _cmd_logs, _cmd_router, _cmd_sessions, _exports
from powertools._config import coerce
from powertools._output import to_json
from powertools.logging import AuditTrail

COMMANDS: list[tuple[str, Callable[..., int]]] = [
    ("powertools info", _cmd_info.main),
    ("powertools config", _cmd_info.config),
    ("powertools prices", _cmd_costs.prices),
    ("powertools logs", _cmd_logs.main),
    ("powertools doctor", _cmd_router.doctor),
    ("powertools sessions", _cmd_sessions.main),
]


@pytest.mark.parametrize(("prog", "command"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_answers_help_and_refuses_unknown_options(
    prog: str, command: Callable[[Sequence[str]], int], capsys: pytest.CaptureFixture[str]
) -> None:
    assert command(["--help"]) == 0
    assert capsys.readouterr().out.startswith(f"usage: {prog}")
    assert command(["--no-such-option"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"usage: {prog}")
    assert f"{prog}: error: " in err


class _Report:
    def as_dict(self) -> dict[str, int]:
        return {"calls": 3}


class _Opaque:
    def __repr__(self) -> str:
        return "<opaque>"


def test_json_output_spells_every_kind_of_value() -> None:
    data = {
        "day": date(2026, 1, 15),
        "at": datetime(2026, 1, 15, 12, tzinfo=UTC),
        "tags": {"b", "a"},
        "frozen": frozenset({"z", "y"}),
        "pair": (1, 2),
        "report": _Report(),
        "other": _Opaque(),
        "where": Path("/tmp/x"),
    }
    assert json.loads(to_json(data)) == {
        "day": "2026-01-15",
        "at": "2026-01-15T12:00:00+00:00",
        "tags": ["a", "b"],
        "frozen": ["y", "z"],
        "pair": [1, 2],
        "report": {"calls": 3},
        "other": "<opaque>",
        "where": "/tmp/x",
    }


def test_a_private_name_is_never_looked_up_in_the_components() -> None:
    with pytest.raises(AttributeError, match="has no attribute '_cache'"):
        _exports.resolve("_cache")


def test_a_bool_option_given_as_a_bool_is_kept() -> None:
    assert coerce("bool", False) is False
    assert coerce("bool", True) is True


def test_audit_verification_passes_its_checkpoints_and_key_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = AuditTrail(tmp_path / "audit.log", checkpoint_every=2)
    for who in ("ada", "grace", "linus"):
        trail.append("login", actor=who, resource="console")
    trail.close()
    path = str(tmp_path / "audit.log")
    checkpoints = path + ".checkpoints"
    assert Path(checkpoints).is_file()
    assert _cmd_logs.main(["verify-audit", path, "--checkpoints", checkpoints]) == 0
    assert "OK" in capsys.readouterr().out
    wrong_key = "00" * 32  # not the key that signed the checkpoints
    assert _cmd_logs.main(["verify-audit", path, "--public-key", wrong_key, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["ok"] is False
    # a trail that cannot be read is said on stderr only, even with --json
    assert _cmd_logs.main(["verify-audit", str(tmp_path / "missing.log"), "--json"]) == 2
    assert capsys.readouterr().out == ""

"""The stack's configuration: one section per component, from files and the environment.

Where each value comes from, the first that sets it winning:

1. the ``overrides`` given to :meth:`powertools.Stack.from_config` (``{"cost": {...}}``);
2. environment variables ``POWERTOOLS_<SECTION>_<KEY>`` (``POWERTOOLS_COST_BUDGET_USD_PER_MONTH``);
3. ``powertools.toml`` (the file ``$POWERTOOLS_CONFIG`` names, else ``./powertools.toml``);
4. ``[tool.powertools.<section>]`` in ``./pyproject.toml``;
5. each component's defaults.

Files are validated strictly: an unknown section or key, or a value of the wrong type, is a
:class:`StackConfigError` that names the key, where it was set, and the fix. Environment
variables of the ``POWERTOOLS_`` prefix that no component declares are left alone (the
components read some of their own, such as ``POWERTOOLS_LOGGING_DIR``).

>>> from powertools._components import Option
>>> schema = {"cost": {"budget_usd_per_month": Option("decimal", None, "")}}
>>> config = load_config(schema, env={"POWERTOOLS_COST_BUDGET_USD_PER_MONTH": "50"}, cwd=None)
>>> config.options["cost"]["budget_usd_per_month"], config.sources["cost.budget_usd_per_month"]
(Decimal('50'), 'POWERTOOLS_COST_BUDGET_USD_PER_MONTH')
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from powertools._components import Discovery, Option, discover

__all__ = ["ENV_PREFIX", "StackConfig", "StackConfigError", "load_config", "schema_of"]

ENV_PREFIX = "POWERTOOLS_"
Schema = Mapping[str, Mapping[str, Option]]
_A = {
    "str": "a string",
    "int": "an integer",
    "float": "a number",
    "decimal": "a decimal number",
    "bool": "true or false",
    "list": "a list of strings",
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class StackConfigError(ValueError):
    """A configuration value that cannot be used; ``key`` is ``section.key``."""

    def __init__(self, message: str, *, key: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(slots=True)
class StackConfig:
    """Validated options per section, and where each set value came from."""

    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _number(kind: str, value: Any) -> Any:
    if isinstance(value, bool):
        raise TypeError
    if kind == "int":
        if isinstance(value, float) and not value.is_integer():
            raise TypeError
        return int(value)
    if kind == "float":
        return float(value)
    return Decimal(str(value))


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise TypeError


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise TypeError


def coerce(kind: str, value: Any) -> Any:
    """``value`` as an option of type ``kind``; raises TypeError or ValueError when it is not.

    >>> coerce("decimal", "12.5"), coerce("bool", "yes"), coerce("list", "a, b")
    (Decimal('12.5'), True, ['a', 'b'])
    """
    if value is None:
        return None
    if kind == "bool":
        return _bool(value)
    if kind == "list":
        return _list(value)
    if kind == "str":
        if not isinstance(value, str):
            raise TypeError
        return value
    try:
        return _number(kind, value)
    except InvalidOperation:
        raise ValueError(value) from None


def _set(
    config: StackConfig, schema: Schema, section: str, key: str, value: Any, *, where: str
) -> None:
    options = schema[section]
    if key not in options:
        raise StackConfigError(
            f"{where}: [{section}] has no key {key!r}{_suggest(key, options)}; "
            f"known keys: {', '.join(sorted(options))}",
            key=f"{section}.{key}",
        )
    kind = options[key].type
    try:
        config.options[section][key] = coerce(kind, value)
    except (TypeError, ValueError):
        raise StackConfigError(
            f"{where}: {section}.{key} = {value!r} is not {_A[kind]}; "
            f"set it to {_A[kind]} ({options[key].help})",
            key=f"{section}.{key}",
        ) from None
    config.sources[f"{section}.{key}"] = where


def _apply_table(config: StackConfig, schema: Schema, table: Mapping[str, Any], where: str) -> None:
    for section, values in table.items():
        if section in config.failed:
            raise StackConfigError(f"{where}: [{section}]: {config.failed[section]}", key=section)
        if section not in schema:
            raise StackConfigError(
                f"{where}: unknown section [{section}]{_suggest(section, schema)}; "
                f"the installed components are {', '.join(sorted(schema))}",
                key=section,
            )
        if not isinstance(values, Mapping):
            raise StackConfigError(
                f"{where}: {section} must be a table ([{section}]), not {values!r}", key=section
            )
        for key, value in values.items():
            _set(config, schema, section, key, value, where=where)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise StackConfigError(
            f"{path}: no such configuration file; create it or pass another path", key=""
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise StackConfigError(f"{path}: not valid TOML ({exc}); fix the file", key="") from None


def _file_layers(env: Mapping[str, str], cwd: Path | None) -> list[tuple[Path, dict[str, Any]]]:
    """The configuration files, lowest precedence first."""
    layers: list[tuple[Path, dict[str, Any]]] = []
    if cwd is not None and (cwd / "pyproject.toml").is_file():
        tool = _read_toml(cwd / "pyproject.toml").get("tool", {}).get("powertools")
        if tool is not None:
            layers.append((cwd / "pyproject.toml", tool))
    named = env.get(f"{ENV_PREFIX}CONFIG")
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise StackConfigError(
                f"POWERTOOLS_CONFIG={named!r}: no such file; point it at a powertools.toml",
                key="POWERTOOLS_CONFIG",
            )
        layers.append((path, _read_toml(path)))
    elif cwd is not None and (cwd / "powertools.toml").is_file():
        layers.append((cwd / "powertools.toml", _read_toml(cwd / "powertools.toml")))
    return layers


def _apply_env(config: StackConfig, schema: Schema, env: Mapping[str, str]) -> None:
    for section, options in schema.items():
        for key in options:
            name = f"{ENV_PREFIX}{section.upper()}_{key.upper()}"
            if name in env:
                _set(config, schema, section, key, env[name], where=name)


def load_config(
    schema: Schema,
    *,
    path: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    cwd: str | os.PathLike[str] | None = ".",
    failed: Mapping[str, str] | None = None,
) -> StackConfig:
    """Resolve every section's options (see the module's docstring for the order).

    ``path`` replaces the search for ``powertools.toml``; ``cwd=None`` reads no file.
    ``failed`` maps the components that failed to load to why, for the errors.
    """
    env = os.environ if env is None else env
    config = StackConfig(
        options={s: {k: o.default for k, o in opts.items()} for s, opts in schema.items()},
        failed=dict(failed or {}),
    )
    if path is not None:
        layers = [(Path(path), _read_toml(Path(path)))]
    else:
        layers = _file_layers(env, None if cwd is None else Path(cwd))
    for where, table in layers:
        config.files.append(where)
        _apply_table(config, schema, table, str(where))
    _apply_env(config, schema, env)
    if overrides:
        _apply_table(config, schema, overrides, "Stack.from_config(overrides=...)")
    return config


def schema_of(found: Discovery | None = None) -> dict[str, Mapping[str, Option]]:
    """Every installed component's declared options, by section."""
    found = found or discover()
    return {name: info.options for name, info in found.components.items()}


def configured(section: str, key: str) -> Any:
    """One resolved value of the installed components' configuration (files, environment).

    >>> configured("retry", "max_attempts") >= 1
    True
    """
    return load_config(schema_of()).options.get(section, {}).get(key)

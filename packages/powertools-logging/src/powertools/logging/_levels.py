"""Severity levels, and parsing them from names or numbers."""

from __future__ import annotations

from enum import IntEnum

from powertools.logging.errors import ConfigurationError

__all__ = ["LEVEL_NAMES", "Level", "parse_level"]


class Level(IntEnum):
    """Standard severities, numerically compatible with stdlib :mod:`logging`."""

    DEBUG = 10
    INFO = 20
    WARNING = 30
    ERROR = 40
    CRITICAL = 50


LEVEL_NAMES: dict[int, str] = {int(level): level.name.lower() for level in Level}


def parse_level(value: str | int) -> Level:
    """Return the :class:`Level` for a name (any case) or a number.

    >>> parse_level("warning")
    <Level.WARNING: 30>
    >>> parse_level(40)
    <Level.ERROR: 40>
    """
    if isinstance(value, str):
        name = value.strip().upper()
        if name == "WARN":
            name = "WARNING"
        if name in Level.__members__:
            return Level[name]
    elif value in Level._value2member_map_:
        return Level(value)
    choices = ", ".join(level.name.lower() for level in Level)
    raise ConfigurationError(f"unknown log level {value!r}: use one of {choices}")

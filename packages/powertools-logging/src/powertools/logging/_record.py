"""What flows to sinks (a :class:`LogRecord`: the JSON line plus indexed columns) and what
queries return (a typed :class:`LogEvent`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from powertools.logging._levels import Level, parse_level

__all__ = ["LogEvent", "LogRecord"]


@dataclass(slots=True)
class LogRecord:
    """One event as sinks receive it: the encoded JSON ``line`` and its indexed columns.

    Treat it as read-only; it is not ``frozen`` because a frozen dataclass costs about a
    microsecond more to build, on every event (decision 0500).
    """

    time: float
    level: int
    event: str
    logger: str
    line: str


_BY_NAME = {level.name.lower(): level for level in Level}


@dataclass(slots=True, frozen=True)
class LogEvent:
    """A stored event, as :meth:`StructuredLogger.query` returns it.

    >>> e = LogEvent.from_json('{"time":"2026-01-02T03:04:05.000000Z","level":"info",'
    ...                        '"logger":"app","event":"started","model":"gpt-4"}')
    >>> e.event, e.level.name, e["model"], e.time.year
    ('started', 'INFO', 'gpt-4', 2026)
    """

    time: datetime
    level: Level
    event: str
    logger: str
    fields: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, line: str | bytes) -> LogEvent:
        """Parse one JSON line written by this package."""
        data: dict[str, Any] = json.loads(line)
        stamp = datetime.fromisoformat(str(data.pop("time")))
        level = str(data.pop("level"))
        return cls(
            time=stamp if stamp.tzinfo is UTC else stamp.astimezone(UTC),
            level=_BY_NAME.get(level) or parse_level(level),
            logger=str(data.pop("logger", "")),
            event=str(data.pop("event")),
            fields=data,
        )

    @property
    def trace_id(self) -> str | None:
        """The event's trace id, if it has one."""
        value = self.fields.get("trace_id")
        return None if value is None else str(value)

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    def get(self, name: str, default: Any = None) -> Any:
        """A field's value, or ``default``."""
        return self.fields.get(name, default)

"""What flows to sinks (a :class:`LogRecord`: the JSON line plus indexed columns) and what
queries return (a typed :class:`LogEvent`)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
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
class LogEvent(Mapping[str, Any]):
    """A stored event, as :meth:`StructuredLogger.query` returns it.

    It is a read-only mapping of its fields (``e["model"]``, ``"model" in e``, ``dict(e)``),
    with the line's own members as attributes; :meth:`to_dict` and :meth:`to_json` give the
    whole event back as JSON-ready data.

    >>> e = LogEvent.from_json('{"time":"2026-01-02T03:04:05.000000Z","level":"info",'
    ...                        '"logger":"app","event":"started","model":"gpt-4"}')
    >>> e.event, e.level.name, e["model"], e.time.year, "model" in e, dict(e)
    ('started', 'INFO', 'gpt-4', 2026, True, {'model': 'gpt-4'})
    >>> json.loads(e.to_json()) == e.to_dict() == {"time": "2026-01-02T03:04:05.000000Z",
    ...     "level": "info", "logger": "app", "event": "started", "model": "gpt-4"}
    True
    """

    time: datetime
    level: Level
    event: str
    logger: str
    fields: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.fields, MappingProxyType):
            object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))

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
            fields=MappingProxyType(data),
        )

    @property
    def trace_id(self) -> str | None:
        """The event's trace id, if it has one."""
        value = self.fields.get("trace_id")
        return None if value is None else str(value)

    def __repr__(self) -> str:
        return (
            f"LogEvent({self.time.isoformat()!r}, {self.level.name}, {self.event!r}, "
            f"logger={self.logger!r}, fields={dict(self.fields)!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The event as it was logged: ``time`` (RFC 3339), ``level``, ``logger``, ``event``
        and its fields, ready for ``json.dumps``."""
        stamp = self.time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {
            "time": stamp,
            "level": self.level.name.lower(),
            "logger": self.logger,
            "event": self.event,
            **self.fields,
        }

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text (what is not JSON becomes its ``str``)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, default=str)

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.fields)

    def __len__(self) -> int:
        return len(self.fields)

    def get(self, name: str, default: Any = None) -> Any:
        """A field's value, or ``default``."""
        return self.fields.get(name, default)

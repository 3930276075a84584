"""Bridges both ways with stdlib :mod:`logging` and loguru.

- :class:`StdlibHandler`: stdlib records → a :class:`StructuredLogger` (add it to a stdlib logger).
- :class:`StdlibSink`: our events → a stdlib logger (its handlers format and route them).
- :func:`loguru_handler`: loguru messages → a :class:`StructuredLogger` (``logger.add(...)``).
- :class:`LoguruSink`: our events → loguru's logger.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from powertools.logging._levels import LEVEL_NAMES, Level
from powertools.logging._record import LogRecord

if TYPE_CHECKING:
    from powertools.logging._logger import StructuredLogger

__all__ = ["LoguruSink", "StdlibHandler", "StdlibSink", "loguru_handler", "nearest_level"]

_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


def nearest_level(number: int) -> int:
    """The standard level at or below ``number`` (loguru's SUCCESS=25 → INFO).

    >>> nearest_level(25), nearest_level(5)
    (20, 10)
    """
    return max((int(lv) for lv in Level if lv <= number), default=int(Level.DEBUG))


class StdlibHandler(logging.Handler):
    """A stdlib handler that logs each record through ``target``.

    The message becomes the event; ``extra=`` fields become event fields; the stdlib logger's
    name is kept as ``stdlib_logger``.
    """

    def __init__(self, target: StructuredLogger, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self._target = target

    def emit(self, record: logging.LogRecord) -> None:
        """Forward one record."""
        try:
            fields = {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS}
            if record.exc_info:
                fields["exception"] = logging.Formatter().formatException(record.exc_info)
            self._target.log(
                nearest_level(record.levelno),
                record.getMessage(),
                stdlib_logger=record.name,
                **fields,
            )
        except Exception:
            self.handleError(record)


class StdlibSink:
    """Send our events to the stdlib logger ``logger_name``; the message is the JSON line."""

    name = "stdlib"

    def __init__(self, logger_name: str = "powertools", *, level: int = 0) -> None:
        self.level = level
        self._logger = logging.getLogger(logger_name)

    def emit(self, record: LogRecord) -> None:
        """Log the line at the event's level."""
        self._logger.log(record.level, record.line, extra={"powertools_event": record.event})

    def flush(self) -> None:
        """Flush the stdlib logger's handlers."""
        for handler in self._logger.handlers:
            handler.flush()

    def close(self) -> None:
        """Flush; the stdlib logger stays configured."""
        self.flush()


def loguru_handler(target: StructuredLogger) -> Callable[[Any], None]:
    """A loguru sink forwarding messages to ``target``: ``logger.add(loguru_handler(log))``."""

    def forward(message: Any) -> None:
        record = message.record
        fields = dict(record["extra"])
        if record["exception"] is not None:
            fields["exception"] = str(record["exception"].value)
        target.log(
            nearest_level(record["level"].no),
            record["message"],
            loguru_logger=record["name"],
            **fields,
        )

    return forward


class LoguruSink:
    """Send our events to loguru: the event is the message, fields go to ``extra``."""

    name = "loguru"

    def __init__(self, *, level: int = 0) -> None:
        from loguru import logger

        self.level = level
        self._logger = logger

    def emit(self, record: LogRecord) -> None:
        """Log through loguru at the matching level."""
        fields = json.loads(record.line)
        for reserved in ("time", "level", "event"):
            fields.pop(reserved, None)
        self._logger.bind(**fields).log(LEVEL_NAMES[record.level].upper(), record.event)

    def flush(self) -> None:
        """Wait for loguru's enqueued messages, if any."""
        self._logger.complete()

    def close(self) -> None:
        """Flush; loguru's handlers stay configured."""
        self.flush()

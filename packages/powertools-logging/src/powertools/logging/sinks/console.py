"""Console sink: coloured, readable lines on a terminal; one JSON line per event otherwise."""

from __future__ import annotations

import json
import sys
import threading
from typing import TextIO

from powertools.logging._levels import LEVEL_NAMES
from powertools.logging._record import LogRecord

__all__ = ["ConsoleSink"]

_COLOURS = {10: "\x1b[2m", 20: "\x1b[32m", 30: "\x1b[33m", 40: "\x1b[31m", 50: "\x1b[1;41m"}
_RESET = "\x1b[0m"
_HIDDEN = ("time", "level", "logger", "event")


def render_human(record: LogRecord, *, colour: bool) -> str:
    """``HH:MM:SS.mmm LEVEL logger event key=value ...`` from a record's JSON line.

    >>> line = '{"time":"1970-01-01T00:00:00.000000Z","level":"info","event":"started","n":1}'
    >>> r = LogRecord(0.0, 20, "started", "app", line)
    >>> render_human(r, colour=False)
    '00:00:00.000 INFO     app started n=1'
    """
    data = json.loads(record.line)
    stamp = str(data.get("time", ""))[11:23]
    rest = " ".join(f"{k}={v}" for k, v in data.items() if k not in _HIDDEN)
    level = LEVEL_NAMES.get(record.level, str(record.level)).upper().ljust(8)
    if colour:
        level = f"{_COLOURS.get(record.level, '')}{level}{_RESET}"
        rest = f"\x1b[2m{rest}{_RESET}" if rest else rest
    return f"{stamp} {level} {record.logger} {record.event} {rest}".rstrip()


class ConsoleSink:
    """Writes to ``stream`` (standard error by default).

    ``human=None`` picks readable coloured lines when the stream is a terminal and JSON lines
    otherwise (pipes, files, log collectors).
    """

    name = "console"

    def __init__(
        self, stream: TextIO | None = None, *, level: int = 0, human: bool | None = None
    ) -> None:
        self.level = level
        self._stream = stream
        self._human = human
        self._lock = threading.Lock()

    def _target(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def emit(self, record: LogRecord) -> None:
        """Write one line."""
        stream = self._target()
        human = self._human if self._human is not None else stream.isatty()
        text = render_human(record, colour=self._human is None) if human else record.line
        with self._lock:
            stream.write(text + "\n")

    def flush(self) -> None:
        """Flush the stream."""
        self._target().flush()

    def close(self) -> None:
        """Flush; the stream itself belongs to the caller."""
        self.flush()

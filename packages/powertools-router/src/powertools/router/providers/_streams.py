"""Incremental parsers for the two streaming formats providers use: SSE and NDJSON.

Both take bytes exactly as the network delivers them, split anywhere (inside a UTF-8
character, inside a JSON object, inside ``data:``), and give whole events. The bytes are cut at
event ends (a blank line) and line ends before anything is decoded, and a line ending never
occurs inside a UTF-8 sequence, so a character split across two reads is decoded whole. An
event is decoded once, as a whole: the common one-line ``data:`` event costs one split, one
slice, one decode and one JSON parse.

>>> sse = SSEDecoder()
>>> sse.feed(b"event: ping\\ndata: {\\"a\\"") + sse.feed(b": 1}\\n\\n")
[SSEEvent(event='ping', data='{"a": 1}', id=None)]
>>> nd = NDJSONDecoder()
>>> nd.feed(b'{"x": 1}\\n{"x"') + nd.feed(b': 2}\\n')
[{'x': 1}, {'x': 2}]
"""

from __future__ import annotations

from typing import Any, NamedTuple

from powertools.router.providers._json import loads

__all__ = ["NDJSONDecoder", "SSEDecoder", "SSEEvent", "StreamFormatError"]


class StreamFormatError(ValueError):
    """A stream that is not what its format promises (bad JSON, an oversized line)."""


_MAX_LINE = 16 * 1024 * 1024  # one event larger than this is a broken server, not an answer


class SSEEvent(NamedTuple):
    """One server-sent event: its type (``message`` when unnamed), data lines joined by ``\\n``."""

    event: str
    data: str
    id: str | None = None

    def json(self) -> Any:
        """The data decoded as JSON, or :class:`StreamFormatError` naming the bad text."""
        try:
            return loads(self.data)
        except ValueError as exc:
            raise StreamFormatError(
                f"malformed JSON in a server-sent event: {self.data[:200]!r} ({exc})"
            ) from None


def _normalised(buffer: bytes) -> tuple[bytes, bytes]:
    """``buffer`` with every line ending as ``\\n``, and a trailing ``\\r`` held back (it may be
    the first half of ``\\r\\n``)."""
    held = b"\r" if buffer.endswith(b"\r") else b""
    body = buffer[:-1] if held else buffer
    return body.replace(b"\r\n", b"\n").replace(b"\r", b"\n"), held


class _Lines:
    """Bytes in, complete lines out; ``\\n``, ``\\r\\n`` and a lone ``\\r`` end a line."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[bytes]:
        buffer = self._buffer + data if self._buffer else data
        held = b""
        if b"\r" in buffer:
            buffer, held = _normalised(buffer)
        lines = buffer.split(b"\n")
        self._buffer = lines.pop() + held
        if len(self._buffer) > _MAX_LINE:
            raise StreamFormatError(f"a stream line exceeds {_MAX_LINE} bytes with no line end")
        return lines

    def rest(self) -> bytes:
        rest, self._buffer = self._buffer.rstrip(b"\r"), b""
        return rest


def _decode(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise StreamFormatError(f"a stream line is not UTF-8: {line[:80]!r} ({exc})") from None


class SSEDecoder:
    """The WHATWG event-stream format, fed incrementally.

    The bytes are cut into events at blank lines; an event that is one ``data:`` line (or an
    ``event:`` line and one ``data:`` line) is read straight from its bytes, any other goes line
    by line. An event still open when the stream ends is dispatched by :meth:`close` if it has
    data (some servers omit the last blank line); whether the *provider's* final event arrived
    is the family's check, not this parser's.
    """

    __slots__ = ("_buffer", "_data", "_event", "_id")

    def __init__(self) -> None:
        self._buffer = b""  # the bytes after the last complete event, line endings as \n
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None

    def feed(self, data: bytes) -> list[SSEEvent]:
        """The events completed by ``data``."""
        buffer = self._buffer + data if self._buffer else data
        held = b""
        if b"\r" in buffer:
            buffer, held = _normalised(buffer)
        blocks = buffer.split(b"\n\n")
        rest = blocks.pop()
        self._buffer = rest + held
        if len(rest) > _MAX_LINE:
            raise StreamFormatError(f"a stream event exceeds {_MAX_LINE} bytes with no end")
        events: list[SSEEvent] = []
        for block in blocks:
            if block[:6] == b"data: " and b"\n" not in block:  # the hot path: one data line
                events.append(SSEEvent("message", _decode(block[6:]), self._id))
                continue
            event = self._block(block)
            if event is not None:
                events.append(event)
        return events

    def close(self) -> list[SSEEvent]:
        """The event left open at the end of the stream, if it has data."""
        buffer, self._buffer = self._buffer, b""
        held_cr = buffer.endswith(b"\r")  # held back in case an LF followed: it ended a line
        *lines, last = (buffer[:-1] if held_cr else buffer).split(b"\n")
        for line in lines:
            self._line(line)  # complete lines of an event with no blank line after it
        if last:
            self._line(last)
        elif held_cr:  # the held CR ended a blank line: the event ends as at any blank line
            event = self._line(b"")
            return [] if event is None else [event]
        return [self._dispatch()] if self._data else []

    def _block(self, block: bytes) -> SSEEvent | None:
        """The event of the lines in ``block``, which a blank line ended."""
        if block[:7] == b"event: ":
            name, _, data = block.partition(b"\n")
            if data[:6] == b"data: " and b"\n" not in data:
                return SSEEvent(_decode(name[7:]) or "message", _decode(data[6:]), self._id)
        for line in block.split(b"\n"):
            self._line(line)  # only a leading line can be blank, and nothing is pending there
        return self._line(b"")

    def _line(self, raw: bytes) -> SSEEvent | None:
        if not raw:
            return self._dispatch() if self._data or self._event else None
        if raw[:5] == b"data:":
            self._data.append(_decode(raw[6:] if raw[5:6] == b" " else raw[5:]))
            return None
        if raw[:1] == b":":
            return None  # a comment (keep-alive)
        name, _, value = _decode(raw).partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._id = value
        return None

    def _dispatch(self) -> SSEEvent:
        event = SSEEvent(self._event or "message", "\n".join(self._data), self._id)
        self._event, self._data = "", []
        return event


class NDJSONDecoder:
    """Newline-delimited JSON (Ollama's stream), fed incrementally; blank lines are skipped."""

    __slots__ = ("_lines",)

    def __init__(self) -> None:
        self._lines = _Lines()

    def feed(self, data: bytes) -> list[Any]:
        """The JSON values completed by ``data``."""
        return [_json_line(line) for line in self._lines.feed(data) if line and not line.isspace()]

    def close(self) -> list[Any]:
        """The last value, if the stream ended without a final newline."""
        rest = self._lines.rest()
        return [_json_line(rest)] if rest.strip() else []


def _json_line(line: bytes) -> Any:
    try:
        return loads(line)
    except ValueError as exc:
        raise StreamFormatError(
            f"malformed JSON line in the stream: {line[:200]!r} ({exc})"
        ) from None

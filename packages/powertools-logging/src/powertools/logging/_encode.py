"""The fast core: values to JSON text, with redaction folded into cached lookups.

Field names and short string values repeat from one event to the next (``model="gpt-4"``,
``provider="openai"``), so each is checked for secrets and JSON-escaped once, then served from a
bounded cache; a context's fields are encoded once when the context is set (see ``_context``).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
from datetime import date, datetime
from json.encoder import encode_basestring
from typing import Any

from powertools.logging._redact import REDACTED, is_sensitive_name, redact_text, redact_value

__all__ = [
    "RESERVED",
    "encode_event",
    "encode_fields",
    "encode_string",
    "encode_value",
    "format_time",
]

_REDACTED_JSON: str = encode_basestring(REDACTED)
_CACHE_LIMIT = 8192
_CACHEABLE_LENGTH = 96
# name -> ',"name":' ; a name that says "secret" maps to its whole redacted member instead
_NAMES: dict[str, tuple[str, bool]] = {}
_STRINGS: dict[str, str] = {}
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


# The line's own members: a field of the same name is written as "_<name>" instead, so the
# line never holds a duplicate key (the renaming is cached with the name, so it costs nothing).
RESERVED = frozenset({"time", "level", "logger", "event"})


def _learn_name(name: str) -> tuple[str, bool]:
    written = "_" + name if name in RESERVED else name
    entry = ("," + encode_basestring(redact_text(written)) + ":", is_sensitive_name(name))
    if len(_NAMES) < _CACHE_LIMIT:
        _NAMES[name] = entry
    return entry


_EVENTS: dict[str, tuple[str, str]] = {}


def encode_event(name: str) -> tuple[str, str]:
    """An event name's JSON text and its redacted plain text (for indexed columns), cached.

    >>> encode_event("called sk-0123456789abcdefghij")
    ('"called [REDACTED]"', 'called [REDACTED]')
    """
    found = _EVENTS.get(name)
    if found is not None:
        return found
    plain = redact_text(name)
    found = (encode_basestring(plain), plain)
    if len(name) <= _CACHEABLE_LENGTH:
        if len(_EVENTS) >= _CACHE_LIMIT:
            _EVENTS.clear()
        _EVENTS[name] = found
    return found


def encode_string(text: str) -> str:
    """JSON text of a string, with any secret inside it redacted.

    >>> encode_string('key sk-0123456789abcdefghij "quoted"')
    '"key [REDACTED] \\\\"quoted\\\\""'
    """
    cached = _STRINGS.get(text)
    if cached is not None:
        return cached
    encoded: str = encode_basestring(redact_text(text))
    if len(text) <= _CACHEABLE_LENGTH:
        if len(_STRINGS) >= _CACHE_LIMIT:
            _STRINGS.clear()
        _STRINGS[text] = encoded
    return encoded


def _encode_float(value: float) -> str:
    if math.isfinite(value):
        return float.__repr__(value)
    return encode_basestring(str(value))


def encode_value(value: Any) -> str:
    """JSON text of any value; what JSON cannot hold becomes its ``str``.

    >>> encode_value({"password": "hunter2", "n": [1, 2.5, None]})
    '{"password":"[REDACTED]","n":[1,2.5,null]}'
    """
    cls = type(value)
    if cls is str:
        return encode_string(value)
    if cls is int:
        return int.__repr__(value)
    if cls is float:
        return _encode_float(value)
    if value is None or cls is bool:
        return "true" if value is True else "false" if value is False else "null"
    return _encode_other(value)


def _encode_other(value: Any) -> str:
    if isinstance(value, datetime | date):
        return encode_string(value.isoformat())
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        return str(_dumps(redact_value(dict(value) if isinstance(value, Mapping) else value)))
    return encode_string(str(value))


def encode_fields(fields: Mapping[str, Any]) -> str:
    """JSON members ``,"name":value`` for each field, secret-named fields redacted.

    >>> encode_fields({"model": "gpt-4", "tokens": 1500, "api_key": "abc"})
    ',"model":"gpt-4","tokens":1500,"api_key":"[REDACTED]"'
    >>> encode_fields({"event": "click"})  # the line's own members are never duplicated
    ',"_event":"click"'
    """
    out = ""
    for name, value in fields.items():
        prefix, hidden = _NAMES.get(name) or _learn_name(name)
        if hidden:
            out += prefix + _REDACTED_JSON
        elif type(value) is str:  # the common case, without a call: a cached encoding
            out += prefix + (_STRINGS.get(value) or encode_string(value))
        else:
            out += prefix + encode_value(value)
    return out


_second_cache: tuple[int, str] = (-1, "")


def format_time(ts: float) -> str:
    """RFC 3339 UTC time with microseconds; the date part is computed once per second.

    >>> format_time(1767225600.25)
    '2026-01-01T00:00:00.250000Z'
    """
    global _second_cache  # noqa: PLW0603 -- a one-slot cache; a race only recomputes it
    second = int(ts)
    cached_second, prefix = _second_cache
    if second != cached_second:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        _second_cache = (second, prefix)
    return f"{prefix}.{int((ts - second) * 1_000_000):06d}Z"

"""Context fields in a :class:`contextvars.ContextVar`, trace and correlation ids.

Each asyncio task and each thread has its own copy of the context, so concurrent work never sees
another's fields. A context is immutable: setting fields makes a new one, encoded to JSON once.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from powertools.logging._encode import encode_fields

__all__ = [
    "Context",
    "clear_context",
    "context",
    "context_from_headers",
    "current_context",
    "get_context",
    "new_id",
    "new_trace",
    "set_context",
    "trace",
    "trace_fields",
    "trace_headers",
    "w3c_trace_id",
]


class Context:
    """An immutable set of context fields with their JSON members encoded once."""

    __slots__ = ("encoded", "fields", "has_trace", "names")

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self.fields: Mapping[str, Any] = dict(fields)
        self.names = frozenset(self.fields)
        self.encoded = encode_fields(self.fields)
        self.has_trace = "trace_id" in self.fields

    def merged(self, fields: Mapping[str, Any]) -> Context:
        """A new context with ``fields`` added to (and overriding) this one's."""
        return Context({**self.fields, **fields})


_EMPTY = Context({})
_CONTEXT: ContextVar[Context] = ContextVar("powertools_logging_context", default=_EMPTY)
_GENERATED: ContextVar[tuple[str, str] | None] = ContextVar("powertools_trace", default=None)


current_context = _CONTEXT.get  # the context of the running task or thread (no extra frame)


def new_id(nbytes: int = 16) -> str:
    """A random hexadecimal id: 16 bytes (W3C trace id) by default, 8 for a span id.

    >>> len(new_id()), len(new_id(8))
    (32, 16)
    """
    return os.urandom(nbytes).hex()


def set_context(**fields: Any) -> None:
    """Add fields to every event logged from this task or thread (and tasks it starts later).

    >>> set_context(user_id="user123"); get_context()["user_id"]
    'user123'
    >>> clear_context()
    """
    _CONTEXT.set(_CONTEXT.get().merged(fields))


def get_context() -> dict[str, Any]:
    """A copy of the current context's fields."""
    return dict(_CONTEXT.get().fields)


def clear_context() -> None:
    """Remove every context field (and the generated trace id) of this task or thread."""
    _CONTEXT.set(_EMPTY)
    _GENERATED.set(None)


@contextmanager
def context(**fields: Any) -> Iterator[None]:
    """Add fields for the duration of a ``with`` block, then restore the previous context.

    >>> with context(request_id="r1"):
    ...     get_context()
    {'request_id': 'r1'}
    >>> get_context()
    {}
    """
    token = _CONTEXT.set(_CONTEXT.get().merged(fields))
    try:
        yield
    finally:
        _CONTEXT.reset(token)


_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_HEX16 = re.compile(r"^[0-9a-f]{16}$")
_ZEROS = "0" * 32


def w3c_trace_id(trace_id: str) -> str:
    """A valid W3C trace id for ``trace_id``: itself if it is one (32 lowercase hex digits,
    not all zero), else derived from it (the first 16 bytes of its SHA-256), so one
    application trace id always maps to the same W3C id.

    >>> w3c_trace_id("4bf92f3577b34da6a3ce929d0e0e4736")
    '4bf92f3577b34da6a3ce929d0e0e4736'
    >>> w3c_trace_id("trace789") == w3c_trace_id("trace789") != "trace789"
    True
    """
    if _HEX32.match(trace_id) and trace_id != _ZEROS:
        return trace_id
    derived = hashlib.sha256(trace_id.encode()).hexdigest()[:32]
    return derived if derived != _ZEROS else "1" * 32


def new_trace(trace_id: str | None = None) -> str:
    """Start a trace in this task or thread: a fresh W3C trace id (or ``trace_id``) becomes the
    context's ``trace_id``, and every task started from here on inherits it. Returns the id.

    >>> tid = new_trace(); len(tid), get_context()["trace_id"] == tid
    (32, True)
    >>> clear_context()
    """
    tid = new_id() if trace_id is None else trace_id
    set_context(trace_id=tid)
    return tid


@contextmanager
def trace(trace_id: str | None = None) -> Iterator[str]:
    """A trace for the duration of a ``with`` block: every event logged in it, and in the tasks
    it starts (``asyncio.gather``, ``TaskGroup``, ``to_thread``), carries the same
    ``trace_id``, a fresh W3C id unless one is given. The previous context returns after it.

    >>> with trace() as tid:
    ...     get_context()["trace_id"] == tid
    True
    >>> "trace_id" in get_context()
    False
    """
    tid = new_id() if trace_id is None else trace_id
    with context(trace_id=tid):
        yield tid


def _otel_ids() -> dict[str, str] | None:
    trace_module = sys.modules.get("opentelemetry.trace")
    if trace_module is None:
        return None  # OpenTelemetry not in use: never import it on the hot path
    span_context = trace_module.get_current_span().get_span_context()
    if not span_context.is_valid:
        return None
    return {"trace_id": f"{span_context.trace_id:032x}", "span_id": f"{span_context.span_id:016x}"}


def _generated_trace() -> tuple[str, str]:
    """This task's or thread's generated trace id and its JSON member, made on first use."""
    found = _GENERATED.get()
    if found is None:
        trace_id = new_id()
        found = (trace_id, encode_fields({"trace_id": trace_id}))
        _GENERATED.set(found)
    return found


def trace_fields(ctx: Context) -> str:
    """JSON members for the trace id of an event whose context sets none.

    The active OpenTelemetry span's ids win; otherwise a trace id generated once for this task
    or thread (kept apart from the context fields, so a span started later still wins).
    """
    otel = _otel_ids()
    if otel is not None:
        return encode_fields(otel)
    return _generated_trace()[1]


def trace_headers() -> dict[str, str]:
    """W3C ``traceparent`` and ``x-correlation-id`` headers that carry this context onward.

    The ``traceparent`` is always valid: a context ``trace_id`` that is not a W3C id (the
    spec's ``"trace789"``) is mapped to one with :func:`w3c_trace_id`.

    >>> with context(trace_id="4bf92f3577b34da6a3ce929d0e0e4736", correlation_id="c-1"):
    ...     trace_headers()["x-correlation-id"]
    'c-1'
    """
    fields = _CONTEXT.get().fields
    otel = _otel_ids() or {}
    trace_id = w3c_trace_id(
        str(fields.get("trace_id") or otel.get("trace_id") or _generated_trace()[0])
    )
    span_id = str(otel.get("span_id") or new_id(8))
    headers = {"traceparent": f"00-{trace_id}-{span_id}-01"}
    if "correlation_id" in fields:
        headers["x-correlation-id"] = str(fields["correlation_id"])
    return headers


def context_from_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Adopt the trace and correlation ids of incoming headers; returns the fields it set.

    A missing correlation id is generated, so every request carries one from here on.

    >>> tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    >>> context_from_headers({"traceparent": tp})["trace_id"]
    '4bf92f3577b34da6a3ce929d0e0e4736'
    >>> clear_context()
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    parts = lowered.get("traceparent", "").strip().split("-")
    fields = {"correlation_id": lowered.get("x-correlation-id") or new_id()}
    if (
        len(parts) == 4
        and _HEX32.match(parts[1])
        and parts[1] != _ZEROS
        and _HEX16.match(parts[2])
        and parts[2] != "0" * 16
    ):
        fields["trace_id"] = parts[1]
        fields["parent_span_id"] = parts[2]
    set_context(**fields)
    return fields

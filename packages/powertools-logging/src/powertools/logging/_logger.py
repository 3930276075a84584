"""``StructuredLogger``: events to JSON lines, fanned out to sinks; metrics, audit, queries."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, SupportsIndex

from powertools.logging._audit import AuditRecord, AuditTrail
from powertools.logging._audit_keys import SigningKey
from powertools.logging._context import (
    Context,
    clear_context,
    current_context,
    new_trace,
    set_context,
    trace,
    trace_fields,
)
from powertools.logging._encode import (
    _EVENTS,
    encode_event,
    encode_fields,
    encode_string,
    format_time,
)
from powertools.logging._levels import LEVEL_NAMES, Level, parse_level
from powertools.logging._metrics import Metrics, emf_document
from powertools.logging._query import Query, QueryResult, TimeLike
from powertools.logging._record import LogRecord
from powertools.logging._redact import redact_text
from powertools.logging._registry import data_dir, key_dir, resolve_sink
from powertools.logging._sink import BatchSink, QueryableSink, Sink
from powertools.logging._timer import Timer
from powertools.logging._worker import EXIT_TIMEOUT
from powertools.logging.errors import QueryError, SinkError

__all__ = ["StructuredLogger"]

_DEFAULT_STORES: dict[Path, Sink] = {}
_DEFAULT_TRAILS: dict[Path, AuditTrail] = {}
_DEFAULT_LOCK = threading.Lock()


def default_sinks() -> list[Sink]:
    """Console (warnings and up) plus the shared SQLite store in :func:`data_dir`."""
    from powertools.logging.sinks.console import ConsoleSink
    from powertools.logging.sinks.sqlite import SqliteSink

    path = data_dir() / "events.db"
    with _DEFAULT_LOCK:
        store = _DEFAULT_STORES.get(path)
        if store is None:
            store = _DEFAULT_STORES[path] = SqliteSink(path)
    return [ConsoleSink(level=Level.WARNING), store]


def _say_once(message: str) -> None:
    if message not in _SAID:
        _SAID.add(message)
        print(f"powertools.logging: {message}", file=sys.stderr)


_SAID: set[str] = set()


def _default_key(folder: Path) -> SigningKey | None:
    """The default signing key, kept apart from the trails (``key_dir()``); ``None`` without
    the ``[audit]`` extra, said once."""
    from powertools.logging.errors import MissingExtraError

    legacy = folder / "keys" / "audit.ed25519"  # where 0.1 kept it: beside the trails
    path = legacy if legacy.exists() else key_dir() / "audit.ed25519"
    try:
        key = SigningKey.from_file(path)
    except MissingExtraError:
        _say_once(
            "audit trails are NOT signed: the [audit] extra (cryptography) is not installed, so "
            "their checkpoints carry hashes only and whoever can write the files can rewrite "
            "them undetected. Install powertools-logging[audit] to sign them"
        )
        return None
    if folder.resolve() in path.resolve().parents:
        _say_once(
            f"the audit signing key {path} sits beside the trails it signs in {folder}, so "
            "whoever can edit a trail can re-sign it: move it out (POWERTOOLS_LOGGING_KEY_DIR, "
            f"default {key_dir()}) or pass AuditTrail(signing_key=...)"
        )
    if path.stat().st_mode & 0o077:
        _say_once(f"the audit signing key {path} is readable by others: chmod 600 it")
    return key


def _default_audit(name: str) -> AuditTrail:
    """The shared trail of loggers named ``name`` (one writer per file in this process)."""
    folder = data_dir()
    path = folder / "audit" / f"{name}.audit"
    with _DEFAULT_LOCK:
        trail = _DEFAULT_TRAILS.get(path)
        if trail is not None:
            return trail
        trail = _DEFAULT_TRAILS[path] = AuditTrail(
            path,
            checkpoint_path=folder / "audit-checkpoints" / f"{name}.checkpoints",
            signing_key=_default_key(folder),
        )
        return trail


def _count(sink: QueryableSink, terms: Query) -> int:
    counter = getattr(sink, "count", None)
    if counter is None:  # a third-party queryable sink without a count: count its rows
        return len(sink.query(terms))
    return int(counter(terms))


_LEVEL_METHODS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}


def _discard(*args: Any, **fields: Any) -> None:
    """Stands in for the level methods below the logger's level."""


class _SinkList(list[Sink]):
    """A logger's sinks: every change re-targets the logger's events."""

    def __init__(self, changed: Callable[[], None], sinks: Iterable[Sink]) -> None:
        super().__init__(sinks)
        self._changed = changed

    def append(self, sink: Sink | str) -> None:
        super().append(resolve_sink(sink))
        self._changed()

    def extend(self, sinks: Iterable[Sink | str]) -> None:
        super().extend(resolve_sink(s) for s in sinks)
        self._changed()

    def insert(self, index: SupportsIndex, sink: Sink | str) -> None:
        super().insert(index, resolve_sink(sink))
        self._changed()

    def remove(self, sink: Sink) -> None:
        super().remove(sink)
        self._changed()

    def pop(self, index: SupportsIndex = -1) -> Sink:
        sink = super().pop(index)
        self._changed()
        return sink

    def clear(self) -> None:
        super().clear()
        self._changed()

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        self._changed()

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)
        self._changed()

    def __iadd__(self, sinks: Iterable[Sink | str]) -> _SinkList:  # type: ignore[override,misc]
        self.extend(sinks)
        return self


class StructuredLogger:
    """Structured, contextual logging to any number of sinks.

    >>> from powertools.logging.testing import MemorySink
    >>> sink = MemorySink()
    >>> log = StructuredLogger("demo", sinks=[sink])
    >>> log.info("llm_call_started", model="gpt-4", api_key="sk-never-shown-1234567890")
    >>> event = sink.events.pop()
    >>> event.get("model"), event.get("api_key")
    ('gpt-4', '[REDACTED]')
    """

    def __init__(
        self,
        name: str = "app",
        sinks: Iterable[Sink | str] | None = None,
        level: str | int = "info",
        *,
        audit_trail: AuditTrail | None = None,
        emf_namespace: str | None = None,
        clock: Callable[[], float] = time.time,
        _bound: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.level = level  # the setter parses names and numbers
        self._targets: list[tuple[int, Callable[[LogRecord], None]]] = []
        self.sinks = default_sinks() if sinks is None else [resolve_sink(s) for s in sinks]
        self._clock = clock
        self._audit = audit_trail
        self._emf_namespace = emf_namespace
        self.metrics = Metrics()
        self._bound = Context(_bound or {})
        name_json = encode_string(name)
        self._plain_name = redact_text(name)
        self._heads = {
            n: f'","level":"{label}","logger":{name_json},"event":'
            for n, label in LEVEL_NAMES.items()
        }

    def __repr__(self) -> str:
        return f"StructuredLogger({self.name!r}, level={self.level.name.lower()!r})"

    @property
    def level(self) -> Level:
        """The lowest level logged; assign a name or number to change it:
        ``log.level = "debug"``."""
        return self._level_enum

    @level.setter
    def level(self, value: str | int) -> None:
        self._level_enum = parse_level(value)
        self._level = int(self._level_enum)
        for method, threshold in _LEVEL_METHODS.items():
            if threshold < self._level:  # a filtered-out call then costs one plain call
                setattr(self, method, _discard)
            else:
                self.__dict__.pop(method, None)

    @property
    def sinks(self) -> list[Sink]:
        """This logger's sinks: a list whose changes (``append``, ``remove``, ...) take effect
        at once; assigning a new list works too."""
        return self._sinks

    @sinks.setter
    def sinks(self, value: Iterable[Sink | str]) -> None:
        self._sinks = _SinkList(self._retarget, (resolve_sink(s) for s in value))
        self._retarget()

    def _retarget(self) -> None:
        # in place, so loggers made by bind() (which share the list) follow too
        self._targets[:] = [(int(getattr(s, "level", 0)), s.emit) for s in self._sinks]

    # -- context ---------------------------------------------------------------------------
    def set_context(self, **fields: Any) -> None:
        """Add fields to every event from this task or thread (see :func:`set_context`)."""
        set_context(**fields)

    def clear_context(self) -> None:
        """Remove this task's or thread's context fields."""
        clear_context()

    def trace(self, trace_id: str | None = None) -> AbstractContextManager[str]:
        """``with log.trace() as trace_id:`` one trace id for the block and every task it
        starts (see :func:`powertools.logging.trace`)."""
        return trace(trace_id)

    def new_trace(self, trace_id: str | None = None) -> str:
        """Start a trace for this task or thread and those it starts; returns its id."""
        return new_trace(trace_id)

    def bind(self, **fields: Any) -> StructuredLogger:
        """A logger with the same sinks whose events all carry ``fields``."""
        child = object.__new__(StructuredLogger)
        child.__dict__.update(self.__dict__)
        child._bound = self._bound.merged(fields)
        return child

    # -- events ----------------------------------------------------------------------------
    def _members(self, ctx: Context, fields: dict[str, Any]) -> str:
        bound = self._bound
        if (
            ctx.names.isdisjoint(fields)
            and bound.names.isdisjoint(fields)
            and (not bound.names or ctx.names.isdisjoint(bound.names))
        ):
            trace = (
                ""
                if ctx.has_trace or bound.has_trace or "trace_id" in fields
                else trace_fields(ctx)
            )
            return ctx.encoded + bound.encoded + trace + encode_fields(fields)
        merged = {**ctx.fields, **bound.fields, **fields}
        trace = "" if "trace_id" in merged else trace_fields(ctx)
        return trace + encode_fields(merged)

    def _log(self, level: int, event: str, fields: dict[str, Any]) -> None:
        ts = self._clock()
        name_json, name = _EVENTS.get(event) or encode_event(event)
        line = (
            '{"time":"'
            + format_time(ts)
            + self._heads[level]
            + name_json
            + self._members(current_context(), fields)
            + "}"
        )
        record = LogRecord(ts, level, name, self._plain_name, line)
        for threshold, emit in self._targets:
            if level >= threshold:
                emit(record)

    def log(self, level: str | int, event: str, /, **fields: Any) -> None:
        """Log ``event`` at ``level`` (a name or a number)."""
        number = int(parse_level(level))
        if number >= self._level:
            self._log(number, event, fields)

    def debug(self, event: str, /, **fields: Any) -> None:
        """Log at DEBUG."""
        if self._level <= 10:
            self._log(10, event, fields)

    def info(self, event: str, /, **fields: Any) -> None:
        """Log at INFO."""
        if self._level <= 20:
            self._log(20, event, fields)

    def warning(self, event: str, /, **fields: Any) -> None:
        """Log at WARNING."""
        if self._level <= 30:
            self._log(30, event, fields)

    def error(self, event: str, /, **fields: Any) -> None:
        """Log at ERROR."""
        if self._level <= 40:
            self._log(40, event, fields)

    def exception(self, event: str, /, **fields: Any) -> None:
        """Log at ERROR with the traceback of the exception being handled."""
        if self._level <= 40 and sys.exc_info()[0] is not None:
            fields["exception"] = traceback.format_exc()
        self.error(event, **fields)

    def critical(self, event: str, /, **fields: Any) -> None:
        """Log at CRITICAL (the highest level: never filtered out)."""
        self._log(50, event, fields)

    # -- metrics ---------------------------------------------------------------------------
    def metric(
        self, name: str, value: float, tags: Mapping[str, Any] | None = None, *, unit: str = "None"
    ) -> None:
        """Record a value: logged now as a ``metric`` event and aggregated in :attr:`metrics`."""
        tags = dict(tags or {})
        self.metrics.histogram(name, tags).observe(value)
        fields: dict[str, Any] = {"metric": name, "value": value, "tags": tags, "unit": unit}
        if self._emf_namespace is not None:
            fields.update(
                emf_document(
                    name, value, tags, unit=unit, namespace=self._emf_namespace, ts=self._clock()
                )
            )
        self.info("metric", **fields)

    def timer(
        self,
        name: str,
        *,
        tags: Mapping[str, Any] | None = None,
        clock: Callable[[], float] = time.perf_counter,
        **fields: Any,
    ) -> Timer:
        """Time a block (``with``/``async with``) or each call of a decorated function; the
        histogram and counters are kept per ``tags``, ``fields`` ride on the logged event."""
        return Timer(self, name, clock, fields, tags)

    def flush_metrics(self, *, process: bool = True) -> list[dict[str, Any]]:
        """Log one ``metrics`` event per aggregated metric for the interval, and return them."""
        summaries = self.metrics.collect(process=process)
        for summary in summaries:
            self.info("metrics", **summary)
        return summaries

    # -- audit -----------------------------------------------------------------------------
    @property
    def audit_trail(self) -> AuditTrail:
        """This logger's audit trail (created under :func:`data_dir` on first use)."""
        if self._audit is None:
            self._audit = _default_audit(self.name)
        return self._audit

    def audit(
        self,
        event: str,
        /,
        *,
        action: str,
        resource: str,
        actor: str,
        result: str = "success",
        **fields: Any,
    ) -> AuditRecord:
        """Append to the tamper-evident audit trail, and log the same facts as an event."""
        record = self.audit_trail.append(
            action, actor=actor, resource=resource, result=result, event=event, **fields
        )
        self.info(
            event,
            audit_seq=record.seq,
            audit_hash=record.hash,
            action=action,
            resource=resource,
            actor=actor,
            result=result,
            **fields,
        )
        return record

    # -- queries ---------------------------------------------------------------------------
    def _store(self) -> QueryableSink:
        for sink in self.sinks:
            if isinstance(sink, QueryableSink):
                return sink
        raise QueryError(
            f"logger {self.name!r} has no queryable sink: add a SqliteSink, PostgresSink or "
            "FileSink to its sinks"
        )

    def query(
        self,
        event_type: str | None = None,
        start_time: TimeLike = None,
        end_time: TimeLike = None,
        filters: Mapping[str, Any] | None = None,
        limit: int | None = None,
        *,
        level: str | int | None = None,
        logger: str | None = None,
    ) -> QueryResult:
        """Stored events matching every term, oldest first: every match, or with ``limit`` the
        newest ``limit`` of them (``result.total`` still counts every match).

        Reads the first queryable sink (the embedded SQLite store by default); the rows are
        read when first used, and ``len()`` without a limit only counts.

        >>> from powertools.logging.testing import MemorySink
        >>> log = StructuredLogger("q", sinks=[MemorySink()])
        >>> for n in range(5):
        ...     log.info("tick", n=n)
        >>> result = log.query(event_type="tick", limit=2)
        >>> [e["n"] for e in result], result.total, len(log.query(event_type="tick"))
        ([3, 4], 5, 5)
        """
        terms = Query.build(event_type, start_time, end_time, filters, level, logger, limit)
        sink = self._store()
        sink.flush()  # the result reflects every event logged before this call
        return QueryResult(
            lambda: sink.query(terms), lambda: _count(sink, terms.unlimited()), limit=limit
        )

    def count(
        self,
        event_type: str | None = None,
        start_time: TimeLike = None,
        end_time: TimeLike = None,
        filters: Mapping[str, Any] | None = None,
        *,
        level: str | int | None = None,
        logger: str | None = None,
    ) -> int:
        """How many stored events match every term (the same terms as :meth:`query`)."""
        terms = Query.build(event_type, start_time, end_time, filters, level, logger)
        return _count(self._store(), terms)

    async def aquery(
        self,
        event_type: str | None = None,
        start_time: TimeLike = None,
        end_time: TimeLike = None,
        filters: Mapping[str, Any] | None = None,
        limit: int | None = None,
        **terms: Any,
    ) -> QueryResult:
        """:meth:`query` without blocking the running event loop (its rows are read here)."""

        def run() -> QueryResult:
            result = self.query(event_type, start_time, end_time, filters, limit, **terms)
            result.rows()
            return result

        return await asyncio.to_thread(run)

    # -- lifecycle -------------------------------------------------------------------------
    def flush(self) -> None:
        """Deliver everything logged so far, in every sink; a sink that cannot (a
        :class:`SinkError` naming it) does not keep the others from being flushed."""
        failures: list[SinkError] = []
        for sink in self.sinks:
            try:
                sink.flush()
            except SinkError as error:
                failures.append(error)
        if failures:
            raise failures[0] if len(failures) == 1 else SinkError("; ".join(map(str, failures)))

    def close(self, timeout: float | None = None) -> None:
        """Flush and close this logger's sinks (shared default stores stay open), all of them
        within ``timeout`` seconds together (default: the exit timeout, 3 s)."""
        deadline = time.monotonic() + (EXIT_TIMEOUT if timeout is None else timeout)
        own = [s for s in self.sinks if s not in _DEFAULT_STORES.values()]
        for sink in own:  # every queue starts draining at once
            if isinstance(sink, BatchSink):
                sink._worker.begin_close()
        for sink in own:
            if isinstance(sink, BatchSink):
                sink.close(max(0.0, deadline - time.monotonic()))
            else:
                sink.close()
        if self._audit is not None:
            self._audit.checkpoint()

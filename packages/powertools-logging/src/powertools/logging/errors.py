"""Every public exception of ``powertools.logging``.

The hierarchy::

    LoggingError            base of every error this package raises
    ├── ConfigurationError  a bad argument or environment value (says which and how to fix it)
    ├── MissingExtraError   an optional sink needs an extra that is not installed
    ├── SinkError           a sink could not write, flush or close
    ├── QueryError          a query cannot run (no queryable sink, bad time, bad filter)
    └── AuditTamperedError  the audit trail was edited, reordered, truncated or cut short
"""

from __future__ import annotations

__all__ = [
    "AuditTamperedError",
    "ConfigurationError",
    "LoggingError",
    "MissingExtraError",
    "QueryError",
    "SinkError",
]


class LoggingError(Exception):
    """Base class of every error raised by ``powertools.logging``.

    Its area: structured events, sinks, metrics, audit trail and queries.
    """


class ConfigurationError(LoggingError, ValueError):
    """An argument or environment value is invalid; the message says how to fix it."""


class MissingExtraError(LoggingError, ImportError):
    """An optional sink's dependency is missing; the message names the extra to install."""

    def __init__(self, sink: str, extra: str) -> None:
        super().__init__(
            f"the {sink} sink needs an optional dependency: "
            f"pip install 'powertools-logging[{extra}]'"
        )
        self.extra = extra


class SinkError(LoggingError):
    """A sink could not deliver, flush or close.

    ``retryable`` says whether sending the same batch again may succeed (a 5xx or a 429 may; a
    refused key or a rejected event will not).
    """

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class QueryError(LoggingError):
    """A query could not run; the message says what to change."""


class AuditTamperedError(LoggingError):
    """The audit trail does not verify.

    ``kind`` is one of ``edited``, ``removed``, ``reordered``, ``truncated``, ``rewritten``,
    ``malformed``, ``forged-checkpoint`` or ``withheld-checkpoint`` (a checkpoint the trail
    promises is missing); ``seq`` is the sequence number of the record at fault
    (0 for a checkpoint line that is not a checkpoint); ``line`` is the trail file's line at
    fault, counted from 1 (``None`` when the fault is in the checkpoints); ``detail`` says what
    is wrong.
    """

    def __init__(self, kind: str, seq: int, detail: str, *, line: int | None = None) -> None:
        super().__init__(f"audit trail {kind} at record {seq}: {detail}")
        self.kind = kind
        self.seq = seq
        self.line = line
        self.detail = detail

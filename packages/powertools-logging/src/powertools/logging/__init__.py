"""powertools.logging — structured events, sinks, metrics, audit trail and queries."""

from powertools.logging._audit import AuditRecord, AuditTrail, AuditVerification, verify_trail
from powertools.logging._audit_keys import PublicKey, SigningKey
from powertools.logging._context import (
    clear_context,
    context,
    context_from_headers,
    get_context,
    new_trace,
    set_context,
    trace,
    trace_headers,
)
from powertools.logging._levels import Level
from powertools.logging._logger import StructuredLogger
from powertools.logging._metrics import Metrics
from powertools.logging._query import Query, QueryResult
from powertools.logging._record import LogEvent, LogRecord
from powertools.logging._redact import REDACTED, redact_text
from powertools.logging._registry import data_dir
from powertools.logging._sink import AsyncBatchSink, BatchSink, QueryableSink, Sink
from powertools.logging._timer import Timer
from powertools.logging.errors import (
    AuditTamperedError,
    ConfigurationError,
    LoggingError,
    MissingExtraError,
    QueryError,
    SinkError,
)

__version__ = "0.1.0"

__all__ = [
    "REDACTED",
    "AsyncBatchSink",
    "AuditRecord",
    "AuditTamperedError",
    "AuditTrail",
    "AuditVerification",
    "BatchSink",
    "ConfigurationError",
    "Level",
    "LogEvent",
    "LogRecord",
    "LoggingError",
    "Metrics",
    "MissingExtraError",
    "PublicKey",
    "Query",
    "QueryError",
    "QueryResult",
    "QueryableSink",
    "SigningKey",
    "Sink",
    "SinkError",
    "StructuredLogger",
    "Timer",
    "__version__",
    "clear_context",
    "context",
    "context_from_headers",
    "data_dir",
    "get_context",
    "new_trace",
    "redact_text",
    "set_context",
    "trace",
    "trace_headers",
    "verify_trail",
]

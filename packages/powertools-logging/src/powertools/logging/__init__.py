"""powertools.logging — structured events, sinks, metrics, audit trail and queries."""

from powertools.logging.errors import LoggingError

__version__ = "0.1.0"

__all__ = ["LoggingError", "__version__"]

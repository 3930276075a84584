"""powertools.session — durable session state on many backends."""

from powertools.session.errors import SessionError

__version__ = "0.1.0"

__all__ = ["SessionError", "__version__"]

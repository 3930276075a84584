"""powertools.session — durable session state on file, Redis, PostgreSQL, S3 or GCS."""

from powertools.session._async_session import AsyncSession
from powertools.session._backend import Backend, JournalingBackend, Stored
from powertools.session._compression import Compression, train_dictionary
from powertools.session._lease import Lease
from powertools.session._recovery import RecoveryReport
from powertools.session._serializers import JsonSerializer, PickleSerializer, Serializer
from powertools.session._session import Session
from powertools.session.errors import (
    BackendError,
    ConfigurationError,
    ConflictError,
    CorruptSessionError,
    DecryptionError,
    InvalidSessionNameError,
    MissingExtraError,
    SessionError,
    SessionLockedError,
    SessionNotFoundError,
    SignatureError,
    UnserializableValueError,
)


def __getattr__(name: str) -> str:
    # ``__version__`` is read from the installed distribution on first use: importing
    # importlib.metadata at package import time would cost ~20 ms for every user.
    if name == "__version__":
        from importlib import metadata

        version = metadata.version("powertools-session")
        globals()["__version__"] = version
        return version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AsyncSession",
    "Backend",
    "BackendError",
    "Compression",
    "ConfigurationError",
    "ConflictError",
    "CorruptSessionError",
    "DecryptionError",
    "InvalidSessionNameError",
    "JournalingBackend",
    "JsonSerializer",
    "Lease",
    "MissingExtraError",
    "PickleSerializer",
    "RecoveryReport",
    "Serializer",
    "Session",
    "SessionError",
    "SessionLockedError",
    "SessionNotFoundError",
    "SignatureError",
    "Stored",
    "UnserializableValueError",
    "__version__",
    "train_dictionary",
]

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
    ConflictError,
    CorruptSessionError,
    DecryptionError,
    InvalidSessionNameError,
    SessionError,
    SessionLockedError,
    SessionNotFoundError,
    SignatureError,
    UnserializableValueError,
)

__version__ = "0.1.0"

__all__ = [
    "AsyncSession",
    "Backend",
    "BackendError",
    "Compression",
    "ConflictError",
    "CorruptSessionError",
    "DecryptionError",
    "InvalidSessionNameError",
    "JournalingBackend",
    "JsonSerializer",
    "Lease",
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

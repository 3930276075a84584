"""Every public exception of ``powertools.session``.

The hierarchy::

    SessionError                  base of every error this package raises
    ├── ConflictError             another writer changed the session first (compare-and-swap lost)
    ├── CorruptSessionError       stored bytes fail their checksum or cannot be parsed
    ├── DecryptionError           wrong or missing key, or tampered ciphertext
    ├── SignatureError            pickled data without a valid signature
    ├── UnserializableValueError  a value the serializer cannot store (raised by ``set``)
    ├── SessionNotFoundError      a backup or session that does not exist
    ├── SessionLockedError        another holder kept the lease for the whole timeout
    ├── InvalidSessionNameError   a name that cannot be used as a key or file name
    ├── ConfigurationError        an option or store URL that cannot work as given (ValueError)
    └── BackendError              unknown URL scheme, missing extra, or a failing backend
        └── MissingExtraError     an optional dependency is not installed (ImportError)
"""

from __future__ import annotations

__all__ = [
    "BackendError",
    "ConfigurationError",
    "ConflictError",
    "CorruptSessionError",
    "DecryptionError",
    "InvalidSessionNameError",
    "MissingExtraError",
    "SessionError",
    "SessionLockedError",
    "SessionNotFoundError",
    "SignatureError",
    "UnserializableValueError",
]


class SessionError(Exception):
    """Base class of every error raised by ``powertools.session``."""


class ConflictError(SessionError):
    """Another writer saved a newer version first; nothing of this change was stored.

    ``expected`` is the version this writer based its change on; ``found`` the newer one
    (``None`` where the backend only knows that the object changed).
    """

    def __init__(self, name: str, expected: int, found: int | None) -> None:
        self.name = name
        self.expected = expected
        self.found = found
        seen = f"version {found}" if found is not None else "a newer version"
        super().__init__(
            f"session {name!r} changed under us: expected version {expected}, found {seen}; "
            "reload it, or open it with on_conflict='last-writer-wins' or a merge function"
        )


class CorruptSessionError(SessionError):
    """Stored data is torn or corrupt, or was quarantined by a recovery not yet accepted.

    ``location`` names the file, key or row that failed; ``quarantine`` where the damaged bytes
    were set aside (``None`` when nothing was moved yet: a plain open never moves anything).
    """

    def __init__(self, location: str, reason: str, quarantine: str | None = None) -> None:
        self.location = location
        self.reason = reason
        self.quarantine = quarantine
        if quarantine is None:
            advice = (
                "nothing was loaded as empty and the damaged bytes were kept: "
                "Session.recover(name) sets them aside and loads everything still intact"
            )
        else:
            advice = (
                f"the damaged bytes are kept in {quarantine}; "
                "Session.recover(name, accept=True) accepts what could be recovered"
            )
        super().__init__(f"{location} is corrupt ({reason}); {advice}")


class SettingsMismatch(CorruptSessionError):  # noqa: N818 - a CorruptSessionError, by kind
    """Stored data this session's settings cannot read (another serializer, compression or
    dictionary): not damage, so recovery never quarantines because of it."""


class DecryptionError(SessionError):
    """The data cannot be decrypted: wrong key, missing key id, or tampered bytes."""


class SignatureError(SessionError):
    """Pickled data whose signature is missing or wrong: it is refused, never unpickled."""


class UnserializableValueError(SessionError, TypeError):
    """A value the session's serializer cannot store; raised by ``set`` before anything changes."""


class SessionNotFoundError(SessionError, KeyError):
    """A session or backup that does not exist in the store."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class SessionLockedError(SessionError):
    """``Session.lock()`` could not get the lease before its timeout: another holder has it."""


class InvalidSessionNameError(SessionError, ValueError):
    """A session name that is empty, too long, or has characters outside ``[A-Za-z0-9._-]``."""


class BackendError(SessionError):
    """An unknown store URL, a backend whose extra is not installed, or a failing backend."""


class ConfigurationError(SessionError, ValueError):
    """An option or store URL that cannot work as given; the message says what to write."""


class MissingExtraError(BackendError, ImportError):
    """An optional dependency is not installed; the message names the extra that provides it.

    >>> print(MissingExtraError("the redis:// session store", "redis"))
    the redis:// session store needs an optional dependency: pip install 'powertools-session[redis]'
    """

    def __init__(self, thing: str, extra: str) -> None:
        super().__init__(
            f"{thing} needs an optional dependency: pip install 'powertools-session[{extra}]'"
        )
        self.extra = extra

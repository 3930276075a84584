"""A session's settings, resolved and checked once, shared by ``Session`` and ``AsyncSession``."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from powertools.session._backend import Backend, Durability, check_name, open_backend
from powertools.session._compression import Compression, resolve_compression
from powertools.session._core import ConflictPolicy, Core
from powertools.session._encryption import Keyring
from powertools.session._envelope import Codec
from powertools.session._serializers import Serializer, resolve_serializer

__all__ = ["Options", "split_target"]


@dataclass(slots=True, frozen=True)
class Options:
    """Everything a session is opened with, apart from its name."""

    store: str | None = None
    auto_save: bool = True
    ttl: float | None = None
    serializer: str | Serializer = "json"
    compression: str | Compression | None = "zstd"
    encryption_keys: Mapping[str, bytes] | None = None
    durability: Durability = "power"
    on_conflict: ConflictPolicy = "raise"
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        if self.ttl is not None and self.ttl <= 0:
            raise ValueError(f"ttl={self.ttl!r}: give a positive number of seconds, or None")
        if not (callable(self.on_conflict) or self.on_conflict in ("raise", "last-writer-wins")):
            raise ValueError(
                f"on_conflict={self.on_conflict!r}: use 'raise', 'last-writer-wins' "
                "or a function merge(theirs, ours) -> dict"
            )

    def codec(self) -> Codec:
        """The codec these options describe."""
        keys = None if self.encryption_keys is None else Keyring(self.encryption_keys)
        return Codec(
            resolve_serializer(self.serializer), resolve_compression(self.compression), keys
        )

    def core(self, name: str, store: str | None = None) -> Core:
        """A fresh, empty core for session ``name`` on ``store`` (default: these options')."""
        backend: Backend = open_backend(store or self.store, self.durability)
        return Core(check_name(name), self.codec(), backend, self.ttl, self.clock)


def split_target(target: str, store: str | None) -> tuple[str | None, str]:
    """``(store, name)`` of a backup target: a URL whose last path segment is the name, or a name.

    >>> split_target("s3://bucket/backups/proj.backup", None)
    ('s3://bucket/backups', 'proj.backup')
    >>> split_target("redis://host:6379/0/proj?prefix=bk", None)
    ('redis://host:6379/0?prefix=bk', 'proj')
    """
    if "://" not in target:
        return store, target
    url, _, query = target.partition("?")
    base, _, name = url.rstrip("/").rpartition("/")
    if "://" not in base:
        raise ValueError(
            f"backup target {target!r} names no session: end the URL with one, "
            "e.g. s3://bucket/backups/project-abc.backup"
        )
    return base + (f"?{query}" if query else ""), name

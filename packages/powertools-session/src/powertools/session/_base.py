"""What ``Session`` and ``AsyncSession`` share: the constructor and reads from memory.

The constructor does no I/O: it checks the options and the name. ``Session`` opens its store at
once (it is synchronous anyway); ``AsyncSession`` on its first await, in a thread.
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import time
from collections.abc import Callable, Mapping
from typing import Any

from powertools.session._backend import Durability, check_name, redact
from powertools.session._compression import Compression
from powertools.session._core import ConflictPolicy, Core
from powertools.session._options import Options
from powertools.session._recovery import RecoveryReport
from powertools.session._serializers import Serializer

__all__ = ["SessionBase"]


class SessionBase:
    """Options, the core, and the reads that need no I/O once the session is loaded."""

    _recovering = False
    _accept = False
    #: What the last load or recovery found damaged and did about it (None: nothing).
    recovery: RecoveryReport | None = None

    def __init__(
        self,
        name: str,
        auto_save: bool = True,
        *,
        store: str | None = None,
        ttl: float | None = None,
        serializer: str | Serializer = "json",
        compression: str | Compression | None = "zstd",
        encryption_keys: Mapping[str, bytes] | None = None,
        durability: Durability = "power",
        on_conflict: ConflictPolicy = "raise",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._options = Options(
            store,
            auto_save,
            ttl,
            serializer,
            compression,
            encryption_keys,
            durability,
            on_conflict,
            clock,
        )
        self._name = check_name(name)
        self._opened_core: Core | None = None
        self._guard: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
        self._opened()

    def _opened(self) -> None:
        """Called at the end of ``__init__``."""

    @property
    def _core(self) -> Core:
        core = self._opened_core
        # Session opens it in __init__; AsyncSession before any use (its reads check _loaded
        # first and raise SessionError with what to do).
        assert core is not None, "the session's store is not open"
        return core

    def _readable(self) -> dict[str, Any]:
        """The data, once loaded (``AsyncSession`` refuses reads before its first load)."""
        return self._core.data

    @property
    def name(self) -> str:
        """The session's name."""
        return self._name

    @property
    def version(self) -> int:
        """The version last saved (0 for a session never saved or not loaded yet)."""
        core = self._opened_core
        return 0 if core is None else core.version

    def get(self, key: str, default: Any = None) -> Any:
        """A copy of the value stored under ``key``, or ``default``.

        Changing the copy changes nothing stored: write it back with ``set`` (as ``get_all``).
        """
        with self._guard:
            data = self._readable()
            if key not in data:
                return default
            return copy.deepcopy(data[key])

    def get_all(self) -> dict[str, Any]:
        """A copy of every key and value."""
        with self._guard:
            return copy.deepcopy(self._readable())

    def keys(self) -> builtins.list[str]:
        """The keys, in insertion order."""
        with self._guard:
            return list(self._readable())

    def __contains__(self, key: object) -> bool:
        return key in self._readable()

    def __len__(self) -> int:
        return len(self._readable())

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.name!r}, version={self.version}, "
            f"store={redact(self._options.store) if self._options.store else None!r})"
        )

"""A circuit's shared state machine (closed → open → half-open → closed) and its in-memory store.

The breaker counts failures itself; a store owns only the transitions, so the same breaker can
keep its state in this process (:class:`MemoryStore`) or share it through Redis.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Admission", "BreakerStore", "CircuitState", "MemoryStore", "StoreSettings"]


class CircuitState(enum.StrEnum):
    """Where a circuit is: ``closed`` lets calls through, ``open`` refuses them,
    ``half_open`` lets a limited number of probe calls test the service."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(slots=True, frozen=True)
class Admission:
    """The answer to "may this call go through?"."""

    allowed: bool
    probe: bool
    generation: int
    retry_after: float = 0.0


StateListener = Callable[[CircuitState, CircuitState], object]


_CLOSED = CircuitState.CLOSED


@dataclass(slots=True, frozen=True)
class StoreSettings:
    """What a store needs to know about its breaker."""

    name: str
    recovery_timeout: float
    half_open_max_calls: int
    clock: Callable[[], float]
    on_change: StateListener


class BreakerStore(Protocol):
    """Where a circuit's state lives. Every method is atomic; none is held across a call.

    A ``blocking`` store does network I/O in some methods: async callers run those in a thread
    (``admit`` when ``admit_cached`` cannot answer, and ``trip`` / ``settle_probe``).
    """

    blocking: bool

    def current(self) -> tuple[CircuitState, int]:
        """The state and its generation (each transition starts a new generation)."""

    def peek(self) -> tuple[CircuitState, int]:
        """Like :meth:`current`, from what this process already knows: never any I/O."""

    def admit(self) -> Admission:
        """Let a call through, as a probe in half-open, or refuse it."""

    def admit_cached(self) -> Admission | None:
        """:meth:`admit` if it can be answered without I/O, else ``None``."""

    def trip(self, generation: int) -> None:
        """Open the circuit if it is still closed in ``generation``."""

    def settle_probe(self, generation: int, succeeded: bool | None) -> None:
        """A probe ended: succeeded, failed, or ``None`` if it was cancelled (frees its slot)."""

    def force(self, state: CircuitState) -> None:
        """Move to ``state`` now (manual open, close or reset)."""


class MemoryStore:
    """The state of one circuit in this process, behind a lock held only for the bookkeeping."""

    def __init__(self, settings: StoreSettings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        # (state, generation) read together without the lock: one tuple, swapped atomically.
        self._current = (CircuitState.CLOSED, 0)
        # While closed, every admission is alike: one object, read without the lock.
        self._closed: Admission | None = Admission(True, False, 0)
        self._opened_at = 0.0
        self._probes = 0
        self._successes = 0

    blocking = False

    def current(self) -> tuple[CircuitState, int]:
        return self._current

    peek = current

    def _move(self, state: CircuitState) -> tuple[CircuitState, CircuitState]:
        old, generation = self._current
        self._current = (state, generation + 1)
        self._closed = Admission(True, False, generation + 1) if state is _CLOSED else None
        self._probes = self._successes = 0
        if state is CircuitState.OPEN:
            self._opened_at = self._settings.clock()
        return old, state

    def _notify(self, change: tuple[CircuitState, CircuitState] | None) -> None:
        if change is not None and change[0] is not change[1]:
            self._settings.on_change(*change)

    def admit(self) -> Admission:
        closed = self._closed
        if closed is not None:
            return closed
        change = None
        with self._lock:
            state, generation = self._current
            if state is CircuitState.OPEN:
                wait = self._opened_at + self._settings.recovery_timeout - self._settings.clock()
                if wait > 0:
                    return Admission(False, False, generation, wait)
                change = self._move(CircuitState.HALF_OPEN)
                state, generation = self._current
            admission = self._admit_probe(state, generation)
        self._notify(change)
        return admission

    def admit_cached(self) -> Admission | None:
        return self.admit()

    def _admit_probe(self, state: CircuitState, generation: int) -> Admission:
        if state is _CLOSED:
            return Admission(True, False, generation)
        if self._probes >= self._settings.half_open_max_calls:
            return Admission(False, False, generation, 0.0)
        self._probes += 1
        return Admission(True, True, generation)

    def trip(self, generation: int) -> None:
        with self._lock:
            if self._current != (CircuitState.CLOSED, generation):
                return
            change = self._move(CircuitState.OPEN)
        self._notify(change)

    def settle_probe(self, generation: int, succeeded: bool | None) -> None:
        with self._lock:
            if self._current != (CircuitState.HALF_OPEN, generation):
                return
            change = None
            if succeeded is None:
                self._probes -= 1
            elif not succeeded:
                change = self._move(CircuitState.OPEN)
            else:
                self._successes += 1
                if self._successes >= self._settings.half_open_max_calls:
                    change = self._move(CircuitState.CLOSED)
        self._notify(change)

    def force(self, state: CircuitState) -> None:
        with self._lock:
            change = self._move(state)
        self._notify(change)

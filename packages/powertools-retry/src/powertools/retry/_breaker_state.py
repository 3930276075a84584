"""A circuit's shared state machine (closed → open → half-open → closed) and its in-memory store.

The breaker counts failures itself; a store owns only the transitions, so the same breaker can
keep its state in this process (:class:`MemoryStore`) or share it through Redis. The state is
a function of time: an open circuit is half-open (probe-able) as soon as ``recovery_timeout``
has passed, and a half-open round whose probe has not settled within ``probe_timeout`` counts
that probe as failed (open again, from the moment it timed out). :func:`advance` is that rule,
shared by both stores (the Redis store's Lua scripts apply the same rule inside Redis).

>>> settings = StoreSettings("db", 30.0, 1, 10.0, lambda: 0.0, lambda old, new: None)
>>> opened = Snapshot(CircuitState.OPEN, 1, opened_at=0.0)
>>> advance(opened, 29.0, settings).state, advance(opened, 30.0, settings).state
(<CircuitState.OPEN: 'open'>, <CircuitState.HALF_OPEN: 'half_open'>)
>>> probing = Snapshot(CircuitState.HALF_OPEN, 2, probed_at=30.0, probes=1)
>>> timed_out = advance(probing, 40.0, settings)
>>> timed_out.state, wait_for(timed_out, 40.0, settings)
(<CircuitState.OPEN: 'open'>, 30.0)
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

__all__ = [
    "Admission",
    "BreakerStore",
    "CircuitState",
    "MemoryStore",
    "Snapshot",
    "StoreSettings",
    "advance",
    "wait_for",
]


class CircuitState(enum.StrEnum):
    """Where a circuit is: ``closed`` lets calls through, ``open`` refuses them,
    ``half_open`` lets a limited number of probe calls test the service."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


_CLOSED, _OPEN, _HALF_OPEN = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN


@dataclass(slots=True, frozen=True)
class Admission:
    """The answer to "may this call go through?"."""

    allowed: bool
    probe: bool
    generation: int
    retry_after: float = 0.0


StateListener = Callable[[CircuitState, CircuitState], object]


@dataclass(slots=True, frozen=True)
class StoreSettings:
    """What a store needs to know about its breaker."""

    name: str
    recovery_timeout: float
    half_open_max_calls: int
    probe_timeout: float
    clock: Callable[[], float]
    on_change: StateListener


@dataclass(slots=True, frozen=True)
class Snapshot:
    """A circuit's state at one moment (times on the store's clock).

    ``probes`` is the probe slots taken in this half-open round, ``successes`` how many of them
    succeeded, ``probed_at`` when the latest probe was admitted.
    """

    state: CircuitState = _CLOSED
    generation: int = 0
    opened_at: float = 0.0
    probed_at: float = 0.0
    probes: int = 0
    successes: int = 0

    def moved(self, state: CircuitState, at: float) -> Snapshot:
        """The next generation, in ``state`` from ``at``."""
        opened_at = at if state is _OPEN else self.opened_at
        return Snapshot(state, self.generation + 1, opened_at)


def timed_out(s: Snapshot, now: float, settings: StoreSettings) -> Snapshot | None:
    """A half-open round whose latest probe has not settled in time: open since its timeout."""
    if s.state is not _HALF_OPEN or s.probes <= s.successes:
        return None
    expiry = s.probed_at + settings.probe_timeout
    return s.moved(_OPEN, expiry) if now >= expiry else None


def recovered(s: Snapshot, now: float, settings: StoreSettings) -> Snapshot | None:
    """An open circuit whose recovery timeout has passed: half-open, no probe yet."""
    if s.state is not _OPEN or now < s.opened_at + settings.recovery_timeout:
        return None
    return s.moved(_HALF_OPEN, now)


def advance(s: Snapshot, now: float, settings: StoreSettings) -> Snapshot:
    """``s`` after the transitions that time alone makes by ``now``."""
    s = timed_out(s, now, settings) or s
    return recovered(s, now, settings) or s


def wait_for(s: Snapshot, now: float, settings: StoreSettings) -> float:
    """Seconds until an advanced snapshot admits a call: 0 if it would now.

    With every probe slot taken, the answer is the latest it can be: the probes time out, then
    the circuit recovers (a settled probe frees the circuit sooner).
    """
    if s.state is _CLOSED:
        return 0.0
    if s.state is _OPEN:
        return max(0.0, s.opened_at + settings.recovery_timeout - now)
    if s.probes < settings.half_open_max_calls:
        return 0.0
    expiry = s.probed_at + settings.probe_timeout + settings.recovery_timeout
    return max(0.0, expiry - now)


class BreakerStore(Protocol):
    """Where a circuit's state lives. Every method is atomic; none is held across a call.

    A ``blocking`` store does network I/O in some methods: async callers run those in a thread
    (``admit`` when ``admit_cached`` cannot answer, ``current``, ``trip`` and ``settle_probe``).
    ``peek`` and ``wait`` never do I/O.
    """

    blocking: bool

    def current(self) -> tuple[CircuitState, int]:
        """The state and its generation (each transition starts a new generation)."""

    def peek(self) -> tuple[CircuitState, int]:
        """Like :meth:`current`, from what this process already knows: never any I/O."""

    def wait(self) -> float:
        """Seconds until a call would be admitted (0: now), from what this process knows."""

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


Change = tuple[CircuitState, CircuitState]


class MemoryStore:
    """The state of one circuit in this process, behind a lock held only for the bookkeeping."""

    def __init__(self, settings: StoreSettings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._snapshot = Snapshot()  # swapped whole, so it is read without the lock
        # While closed, every admission is alike: one object, read without the lock.
        self._closed: Admission | None = Admission(True, False, 0)

    blocking = False

    def _view(self) -> Snapshot:
        s = self._snapshot
        return s if s.state is _CLOSED else advance(s, self._settings.clock(), self._settings)

    def current(self) -> tuple[CircuitState, int]:
        s = self._view()
        return s.state, s.generation

    peek = current

    def wait(self) -> float:
        if self._closed is not None:
            return 0.0
        return wait_for(self._view(), self._settings.clock(), self._settings)

    def _set(self, new: Snapshot, changes: list[Change]) -> None:
        changes.append((self._snapshot.state, new.state))
        self._snapshot = new
        self._closed = Admission(True, False, new.generation) if new.state is _CLOSED else None

    def _tick(self, now: float, changes: list[Change]) -> Snapshot:
        """Make the transitions that time made (lock held); the current snapshot."""
        for step in (timed_out, recovered):
            moved = step(self._snapshot, now, self._settings)
            if moved is not None:
                self._set(moved, changes)
        return self._snapshot

    def _notify(self, changes: list[Change]) -> None:
        for old, new in changes:
            if old is not new:
                self._settings.on_change(old, new)

    def admit(self) -> Admission:
        closed = self._closed
        if closed is not None:
            return closed
        changes: list[Change] = []
        with self._lock:
            admission = self._admit_locked(self._settings.clock(), changes)
        self._notify(changes)
        return admission

    def _admit_locked(self, now: float, changes: list[Change]) -> Admission:
        s = self._tick(now, changes)
        if s.state is _CLOSED:
            return Admission(True, False, s.generation)
        if s.state is _OPEN or s.probes >= self._settings.half_open_max_calls:
            return Admission(False, False, s.generation, wait_for(s, now, self._settings))
        self._snapshot = replace(s, probes=s.probes + 1, probed_at=now)
        return Admission(True, True, s.generation)

    def admit_cached(self) -> Admission | None:
        return self.admit()

    def trip(self, generation: int) -> None:
        changes: list[Change] = []
        with self._lock:
            s = self._snapshot
            if s.state is _CLOSED and s.generation == generation:
                self._set(s.moved(_OPEN, self._settings.clock()), changes)
        self._notify(changes)

    def settle_probe(self, generation: int, succeeded: bool | None) -> None:
        changes: list[Change] = []
        with self._lock:
            now = self._settings.clock()
            s = self._tick(now, changes)  # a probe that timed out has already failed
            if s.state is _HALF_OPEN and s.generation == generation:
                self._settle_locked(s, now, succeeded, changes)
        self._notify(changes)

    def _settle_locked(
        self, s: Snapshot, now: float, succeeded: bool | None, changes: list[Change]
    ) -> None:
        if succeeded is None:
            self._snapshot = replace(s, probes=max(0, s.probes - 1))
        elif not succeeded:
            self._set(s.moved(_OPEN, now), changes)
        elif s.successes + 1 >= self._settings.half_open_max_calls:
            self._set(s.moved(_CLOSED, now), changes)
        else:
            self._snapshot = replace(s, successes=s.successes + 1)

    def force(self, state: CircuitState) -> None:
        changes: list[Change] = []
        with self._lock:
            now = self._settings.clock()
            self._set(self._tick(now, changes).moved(state, now), changes)
        self._notify(changes)

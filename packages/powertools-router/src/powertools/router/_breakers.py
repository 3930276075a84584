"""One ``powertools.retry`` circuit breaker per provider and model, and a look that costs nothing.

This is the router's only adapter onto ``CircuitBreaker``. The decision engine needs to know,
without side effects, whether a circuit would let a call through: closed, half-open, or open
but past its recovery time (then it is *probe-able*: the next admitted call is the probe). The
breaker's own ``admit()`` moves an open circuit to half-open, so the engine must not call it;
this module follows each breaker's state changes through a listener and answers from them.

>>> from powertools.retry.testing import FakeClock
>>> clock = FakeClock()
>>> breakers = Breakers(failure_threshold=1, recovery_timeout=30, clock=clock)
>>> admission = breakers.admit("p/m")
>>> breakers.settle("p/m", admission, ConnectionError("down"), 0.1)
>>> breakers.look("p/m")
('open', 30.0)
>>> clock.advance(30); breakers.look("p/m")
('probe', 0.0)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from powertools.retry import CircuitBreaker, CircuitState
from powertools.retry._breaker_state import Admission

__all__ = ["Breakers"]


@dataclass(slots=True)
class _Tracked:
    breaker: CircuitBreaker
    opened_at: float | None = None


class Breakers:
    """Named circuit breakers, created on first use, all with the same settings."""

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        recovery_timeout: float = 30.0,
        storage: str | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self.storage = storage
        self._clock = clock
        self._tracked: dict[str, _Tracked] = {}

    def _get(self, key: str) -> _Tracked:
        tracked = self._tracked.get(key)
        if tracked is None:
            breaker = CircuitBreaker(
                f"router:{key}",
                failure_threshold=self.failure_threshold,
                recovery_timeout=self.recovery_timeout,
                storage=self.storage,
                clock=self._clock,
            )
            tracked = _Tracked(breaker)

            def changed(_old: CircuitState, new: CircuitState, t: _Tracked = tracked) -> None:
                t.opened_at = self._clock() if new is CircuitState.OPEN else None

            breaker.add_listener(changed)
            self._tracked[key] = tracked
        return tracked

    def look(self, key: str) -> tuple[str, float]:
        """``(state, seconds until probe-able)`` with no side effect on the breaker.

        ``state`` is ``closed``, ``half_open``, ``open`` or ``probe`` (open, and its recovery
        time has passed: the next call is let through as the probe).
        """
        tracked = self._tracked.get(key)
        if tracked is None:
            return "closed", 0.0
        state = tracked.breaker.state
        if state is not CircuitState.OPEN:
            return state.value, 0.0
        opened = tracked.opened_at if tracked.opened_at is not None else self._clock()
        wait = opened + self.recovery_timeout - self._clock()
        return ("probe", 0.0) if wait <= 0 else ("open", wait)

    def admit(self, key: str) -> Admission:
        """Ask the breaker to let one call through (raises ``CircuitOpenError`` if not)."""
        return self._get(key).breaker.admit()

    def settle(
        self, key: str, admission: Admission, error: BaseException | None, duration: float
    ) -> None:
        """Tell the breaker how the call ended."""
        self._get(key).breaker.settle(admission, error, duration)

    def abandon(self, key: str, admission: Admission) -> None:
        """The call was cancelled (a lost hedge): free its probe slot."""
        self._get(key).breaker.abandon(admission)

    def states(self) -> dict[str, str]:
        """Every breaker's state, for ``stats()`` and ``describe()``."""
        return {key: self.look(key)[0] for key in sorted(self._tracked)}

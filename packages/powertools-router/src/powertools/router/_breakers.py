"""One ``powertools.retry`` circuit breaker per provider and model, and a look that costs nothing.

This is the router's only adapter onto ``CircuitBreaker``. The decision engine needs to know,
without side effects, whether a circuit would let a call through: closed, half-open with a
probe slot free, or open. ``CircuitBreaker.available_in()`` answers that without using up a
probe slot or doing I/O, and its state is a function of time (an open circuit past its recovery
time reads half-open: *probe-able*, the next admitted call is the probe).

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
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # breakers load with the first attempt, not with the router
    from powertools.retry import CircuitBreaker
    from powertools.retry._breaker_state import Admission

__all__ = ["Breakers"]


class Breakers:
    """Circuit breakers per provider and model, created on first use, all with one setting.

    With ``storage=`` (a Redis URL) every process of a fleet shares each breaker's state.
    """

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
        self._breakers: dict[str, CircuitBreaker] = {}

    def _get(self, key: str) -> CircuitBreaker:
        breaker = self._breakers.get(key)
        if breaker is None:
            from powertools.retry import CircuitBreaker

            breaker = CircuitBreaker(
                f"router:{key}",
                failure_threshold=self.failure_threshold,
                recovery_timeout=self.recovery_timeout,
                storage=self.storage,
                clock=self._clock,
            )
            self._breakers[key] = breaker
        return breaker

    def look(self, key: str) -> tuple[str, float]:
        """``(state, seconds until a call would be admitted)``, with no side effect.

        ``state`` is ``closed``, ``open`` (refusing; this includes half-open with every probe
        slot taken) or ``probe`` (half-open with a slot free: the next call is the probe).
        """
        breaker = self._breakers.get(key)
        if breaker is None:
            return "closed", 0.0
        wait = breaker.available_in()
        if wait > 0:
            return "open", wait
        state = breaker.state
        return ("probe", 0.0) if state == "half_open" else (state.value, 0.0)

    def admit(self, key: str) -> Admission:
        """Ask the breaker to let one call through (raises ``CircuitOpenError`` if not)."""
        return self._get(key).admit()

    def settle(
        self, key: str, admission: Admission, error: BaseException | None, duration: float
    ) -> None:
        """Tell the breaker how the call ended."""
        self._get(key).settle(admission, error, duration)

    def abandon(self, key: str, admission: Admission) -> None:
        """The call was cancelled (a lost hedge): free its probe slot."""
        self._get(key).abandon(admission)

    def states(self) -> dict[str, str]:
        """Every breaker's state, for ``stats()`` and ``describe()``."""
        return {key: self.look(key)[0] for key in sorted(self._breakers)}

"""Wait strategies: how long to sleep after the n-th failed attempt.

A :class:`WaitSchedule` is built once per decorator; each call gets its own :class:`WaitPlan`
(decorrelated jitter and wait generators remember their previous wait).

>>> plan = WaitSchedule("exponential_backoff", base_delay=1, max_delay=5, jitter=None).plan()
>>> [plan.next(n) for n in range(1, 6)]
[1.0, 2.0, 4.0, 5.0, 5.0]
>>> plan = WaitSchedule("fibonacci_backoff", base_delay=1, max_delay=60, jitter=None).plan()
>>> [plan.next(n) for n in range(1, 7)]
[1.0, 1.0, 2.0, 3.0, 5.0, 8.0]
"""

from __future__ import annotations

import functools
import inspect
import math
import random
import threading
from collections.abc import Callable, Iterator
from typing import Literal, TypeAlias

from powertools.retry.errors import RetryConfigError

__all__ = ["Jitter", "Strategy", "WaitPlan", "WaitSchedule"]

StrategyName = Literal["exponential_backoff", "fibonacci_backoff", "linear", "constant"]
Strategy: TypeAlias = (
    StrategyName
    | Callable[[int], float]
    | Callable[[], Iterator[float | None]]
    | Iterator[float | None]
)
Jitter: TypeAlias = bool | Literal["full", "equal", "decorrelated"] | None

_FIBONACCI: list[float] = [1.0, 1.0]
while _FIBONACCI[-1] < 1e300:
    _FIBONACCI.append(_FIBONACCI[-1] + _FIBONACCI[-2])


def _exponential(n: int) -> float:
    return 2.0 ** min(n - 1, 1000)


def _fibonacci(n: int) -> float:
    return _FIBONACCI[n - 1] if n <= len(_FIBONACCI) else math.inf


def _linear(n: int) -> float:
    return float(n)


def _constant(n: int) -> float:
    return 1.0


_NAMED: dict[str, Callable[[int], float]] = {
    "exponential_backoff": _exponential,
    "exponential": _exponential,
    "fibonacci_backoff": _fibonacci,
    "fibonacci": _fibonacci,
    "linear": _linear,
    "constant": _constant,
}
_JITTERS = ("full", "equal", "decorrelated")


def _is_generator_factory(obj: object) -> bool:
    target = obj.func if isinstance(obj, functools.partial) else obj
    return inspect.isgeneratorfunction(target)


class _SharedIterator:
    """A wait iterator (``backoff.expo()``) replayed from the start by every call.

    Values are pulled once and cached, so the n-th retry of every call waits the n-th value.
    """

    def __init__(self, source: Iterator[float | None]) -> None:
        self._source = source
        self._values: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, n: int) -> float:
        if n > len(self._values):
            with self._lock:
                while n > len(self._values):
                    self._values.append(_next_wait(self._source))
        return self._values[n - 1]


def _next_wait(source: Iterator[float | None]) -> float:
    value = next(source, None)
    if value is None:  # backoff's generators yield None once before their first wait
        value = next(source, None)
    if value is None:
        raise RetryConfigError("the wait generator ran out; pass an endless one like backoff.expo")
    return float(value)


def _check_number(name: str, value: float) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool) or not value >= 0:
        raise RetryConfigError(f"{name}={value!r} is invalid; pass a number of seconds >= 0")


class WaitSchedule:
    """The validated wait policy of one decorator: strategy, delays and jitter."""

    __slots__ = ("_base", "_factory", "_jitter", "_max", "_rng", "_steps")

    def __init__(
        self,
        strategy: Strategy = "exponential_backoff",
        *,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        jitter: Jitter = True,
        rng: Callable[[], float] = random.random,
    ) -> None:
        _check_number("base_delay", base_delay)
        _check_number("max_delay", max_delay)
        if base_delay > max_delay:
            raise RetryConfigError(
                f"base_delay={base_delay} is above max_delay={max_delay}; "
                "lower base_delay or raise max_delay"
            )
        self._base = float(base_delay)
        self._max = float(max_delay)
        self._rng = rng
        self._jitter = _jitter_name(jitter)
        self._steps: Callable[[int], float] | None = None
        self._factory: Callable[[], Iterator[float | None]] | None = None
        self._resolve(strategy)

    def _resolve(self, strategy: Strategy) -> None:
        if isinstance(strategy, str):
            named = _NAMED.get(strategy)
            if named is None:
                raise RetryConfigError(
                    f"strategy={strategy!r} is unknown; use one of {sorted(_NAMED)}, "
                    "a callable (attempt) -> seconds, or a wait generator like backoff.expo"
                )
            base = self._base
            self._steps = lambda n: base * named(n) if base else 0.0
        elif isinstance(strategy, Iterator):
            self._steps = _SharedIterator(strategy)
        elif _is_generator_factory(strategy):
            self._factory = strategy  # type: ignore[assignment]
        elif callable(strategy):
            self._steps = strategy  # type: ignore[assignment]
        else:
            raise RetryConfigError(f"strategy={strategy!r} is neither a name nor a callable")

    @property
    def max_delay(self) -> float:
        """The cap on every single wait, in seconds."""
        return self._max

    def plan(self) -> WaitPlan:
        """A fresh plan for one call."""
        steps = self._steps
        if self._factory is not None:
            source = self._factory()
            steps = lambda _n: _next_wait(source)  # noqa: E731
        assert steps is not None
        return WaitPlan(steps, self._base, self._max, self._jitter, self._rng)


def _jitter_name(jitter: Jitter) -> str | None:
    if jitter is True:
        return "full"
    if jitter is False or jitter is None:
        return None
    if jitter not in _JITTERS:
        raise RetryConfigError(
            f"jitter={jitter!r} is unknown; use True, False or one of {_JITTERS}"
        )
    return jitter


class WaitPlan:
    """The waits of one call; ``next(n)`` is the wait after failed attempt ``n`` (from 1)."""

    __slots__ = ("_base", "_jitter", "_max", "_previous", "_rng", "_steps")

    def __init__(
        self,
        steps: Callable[[int], float],
        base: float,
        maximum: float,
        jitter: str | None,
        rng: Callable[[], float],
    ) -> None:
        self._steps = steps
        self._base = base
        self._max = maximum
        self._jitter = jitter
        self._rng = rng
        self._previous = math.inf  # the first wait is bounded by the strategy alone

    def next(self, attempt: int) -> float:
        """The wait in seconds after failed attempt ``attempt``, within ``[0, max_delay]``."""
        raw = self._steps(attempt)
        if not isinstance(raw, int | float) or math.isnan(raw) or raw < 0:
            raise RetryConfigError(f"the strategy returned {raw!r}; it must return seconds >= 0")
        delay = min(float(raw), self._max)
        if self._jitter == "full":
            return self._rng() * delay
        if self._jitter == "equal":
            return delay / 2 + self._rng() * delay / 2
        if self._jitter == "decorrelated":
            # AWS's "decorrelated jitter", anchored on the strategy: uniform between the
            # strategy's wait and three times the previous wait, at most three times the
            # strategy's, so a constant strategy stays constant-ish and a callable is obeyed.
            upper = min(self._max, 3 * delay, 3 * self._previous)
            self._previous = delay + self._rng() * max(0.0, upper - delay)
            return self._previous
        return delay

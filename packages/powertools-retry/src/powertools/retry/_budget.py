"""Retry budgets: retries limited to a ratio of recent calls, so an outage does not multiply load.

As the Google SRE book describes: a client may add at most ``ratio`` retries per call made in
the last ``window`` seconds, plus a small floor (``min_retries``) so quiet clients can retry.

>>> from powertools.retry.testing import FakeClock
>>> budget = RetryBudget(ratio=0.5, min_retries=0, window=10, clock=FakeClock())
>>> for _ in range(4):
...     budget.record_call()
>>> [budget.try_spend() for _ in range(3)]
[True, True, False]
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from powertools.retry.errors import RetryConfigError

__all__ = ["RetryBudget", "named_budget"]

_BUCKETS = 10


class RetryBudget:
    """A sliding window of calls and retries, shared by every retry that names it."""

    __slots__ = (
        "_calls",
        "_clock",
        "_lock",
        "_retries",
        "_settings",
        "_stamps",
        "_width",
        "min_retries",
        "ratio",
    )

    def __init__(
        self,
        ratio: float = 0.2,
        *,
        min_retries: int = 10,
        window: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not ratio >= 0:
            raise RetryConfigError(f"ratio={ratio!r} must be >= 0 (0.2 allows 1 retry per 5 calls)")
        if min_retries < 0:
            raise RetryConfigError(f"min_retries={min_retries!r} must be >= 0")
        if not window > 0:
            raise RetryConfigError(f"window={window!r} must be a positive number of seconds")
        self.ratio = ratio
        self.min_retries = min_retries
        self._settings: dict[str, object] = {
            "ratio": ratio,
            "min_retries": min_retries,
            "window": window,
            "clock": clock,
        }
        self._width = window / _BUCKETS
        self._clock = clock
        self._lock = threading.Lock()
        self._stamps = [-1] * _BUCKETS
        self._calls = [0] * _BUCKETS
        self._retries = [0] * _BUCKETS

    def _slot(self) -> int:
        stamp = int(self._clock() // self._width)
        index = stamp % _BUCKETS
        if self._stamps[index] != stamp:
            self._stamps[index] = stamp
            self._calls[index] = 0
            self._retries[index] = 0
        return index

    def _live(self, counts: list[int]) -> int:
        oldest = int(self._clock() // self._width) - _BUCKETS + 1
        return sum(c for c, s in zip(counts, self._stamps, strict=True) if s >= oldest)

    @classmethod
    def shared(
        cls,
        name: str,
        ratio: float | None = None,
        *,
        min_retries: int | None = None,
        window: float | None = None,
        clock: Callable[[], float] | None = None,
    ) -> RetryBudget:
        """The process-wide budget ``name`` (``retry(budget=name)`` uses it), made on first use.

        Arguments left out take the defaults (or, for an existing budget, its values); an
        argument that differs from the existing budget's is an error, not silently ignored.

        >>> RetryBudget.shared("docs-example", ratio=0.1) is RetryBudget.shared("docs-example")
        True
        >>> RetryBudget.shared("docs-example", ratio=0.5)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        powertools.retry.errors.RetryConfigError: ... has ratio=0.1, not 0.5: ...
        """
        asked = {"ratio": ratio, "min_retries": min_retries, "window": window, "clock": clock}
        given = {key: value for key, value in asked.items() if value is not None}
        with _NAMED_LOCK:
            budget = _NAMED.get(name)
            if budget is None:
                budget = _NAMED[name] = cls(
                    0.2 if ratio is None else ratio,
                    min_retries=10 if min_retries is None else min_retries,
                    window=10.0 if window is None else window,
                    clock=time.monotonic if clock is None else clock,
                )
                return budget
        for key, value in given.items():
            if budget._settings[key] != value:
                raise RetryConfigError(
                    f"RetryBudget.shared({name!r}) has {key}={budget._settings[key]!r}, not "
                    f"{value!r}: configure a shared budget once, then name it without arguments"
                )
        return budget

    def record_call(self) -> None:
        """Count a first attempt."""
        with self._lock:
            self._calls[self._slot()] += 1

    def try_spend(self) -> bool:
        """Take one retry from the budget; ``False`` when the budget is spent."""
        with self._lock:
            index = self._slot()
            allowed = self.min_retries + self.ratio * self._live(self._calls)
            if self._live(self._retries) + 1 > allowed:
                return False
            self._retries[index] += 1
            return True


_NAMED: dict[str, RetryBudget] = {}
_NAMED_LOCK = threading.Lock()


def named_budget(name: str) -> RetryBudget:
    """The process-wide budget called ``name``, created with defaults on first use."""
    return RetryBudget.shared(name)

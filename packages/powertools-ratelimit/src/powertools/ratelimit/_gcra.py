"""GCRA cells: O(1) state per dimension, all dimensions checked and taken as one step.

Each limit keeps one float, its theoretical arrival time (TAT): the moment its bucket would be
empty again. A cost ``c`` is admitted at ``now`` when ``tat - now <= max(burst - c, 0) * T``
(``T`` = seconds per unit); taking it moves ``tat`` to ``max(tat, now) + c * T``. A cost larger
than the burst therefore goes as soon as the cell owes nothing, which keeps big requests from
waiting forever and bounds what passes in any window by ``max(burst, c) + rate * window``.
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from powertools.ratelimit._limits import DIMENSIONS, Limit

__all__ = ["EPSILON", "CellStats", "GcraCells"]

#: Waits shorter than this count as zero, so float rounding cannot spin a waiter.
EPSILON = 1e-9

_NEVER = -math.inf


@dataclass(slots=True, frozen=True)
class CellStats:
    """One limit's state at a moment: how much is in use, what is left, when it is all back."""

    name: str
    limit: float
    period: float
    in_use: float
    remaining: float
    utilisation: float
    reset_seconds: float


class GcraCells:
    """The cells of one set of limits; thread-safe, every method takes the lock once.

    >>> cells = GcraCells([Limit("requests", 2, 1.0)])
    >>> cells.try_take(0.0, (1, 0, 0, 0)), cells.try_take(0.0, (1, 0, 0, 0))
    (0.0, 0.5)
    """

    __slots__ = (
        "_bursts",
        "_busy_until",
        "_dim_intervals",
        "_dims",
        "_idle_plan",
        "_intervals",
        "_lock",
        "_min_span",
        "_pair",
        "_plan",
        "_tats",
        "limits",
        "max_simple_tokens",
        "scale",
    )

    def __init__(self, limits: Sequence[Limit], scale: float = 1.0) -> None:
        self.limits: tuple[Limit, ...] = tuple(limits)
        self.scale = scale
        self._lock = threading.Lock()
        self._tats = [-math.inf] * len(self.limits)
        self._dims: list[int] = []
        self._intervals: list[float] = []
        self._bursts: list[float] = []
        self._plan: list[tuple[int, int, float, float]] = []
        self._idle_plan: list[tuple[int, int, float]] = []
        self._pair: tuple[int, float, int, float] | None = None
        self._dim_intervals: tuple[float, ...] = ()
        self._min_span = 0.0
        self._busy_until = -math.inf  # no cell owes anything after this moment
        self.max_simple_tokens = math.inf
        self._compile()

    def _compile(self) -> None:
        self._dims = [DIMENSIONS.index(lim.dimension) for lim in self.limits]
        self._intervals = [lim.interval / self.scale for lim in self.limits]
        self._bursts = [lim.burst for lim in self.limits]
        self._plan = [  # per cell: its index, dimension, interval and burst in seconds
            (i, self._dims[i], self._intervals[i], self._bursts[i] * self._intervals[i])
            for i in range(len(self.limits))
        ]
        self._idle_plan = [(i, dim, interval) for i, dim, interval, _ in self._plan]
        self._pair = (
            (self._dims[0], self._intervals[0], self._dims[1], self._intervals[1])
            if len(self._plan) == 2
            else None
        )
        # for try_take's unchecked path: the largest interval per dimension, smallest burst
        self._dim_intervals = tuple(
            max(
                (t for t, d in zip(self._intervals, self._dims, strict=True) if d == dim),
                default=0.0,
            )
            for dim in range(len(DIMENSIONS))
        )
        self._min_span = min((span for *_, span in self._plan), default=0.0)
        self._busy_until = max(self._tats, default=-math.inf)
        most = {
            d: min((x.limit for x in self.limits if x.dimension == d), default=math.inf)
            for d in DIMENSIONS
        }
        # a request of one call and t tokens (t counted as input) fits every limit while
        # 0 <= t <= this (finite, so an infinite t is caught); -1 when even one request
        # cannot fit, so every request is checked
        fits = min(most["tokens"], most["input_tokens"], sys.float_info.max)
        self.max_simple_tokens = fits if most["requests"] >= 1 else -1.0

    def set_limits(self, limits: Sequence[Limit], scale: float) -> None:
        """Replace the limits (learnt or reconfigured), keeping the state of those that stay."""
        with self._lock:
            old = {lim.name: tat for lim, tat in zip(self.limits, self._tats, strict=True)}
            self.limits = tuple(limits)
            self.scale = scale
            self._tats = [old.get(lim.name, -math.inf) for lim in self.limits]
            self._compile()

    def try_take(self, now: float, costs: Sequence[float], since: float = math.inf) -> float:
        """Take ``costs`` from every cell and return 0, or take nothing and return the wait.

        ``since``: for a waiter whose turn came at a known moment (its due time) and who is
        only checked now, later. The cost is admitted if it fits at ``now`` but counted as
        arriving when it first fitted, no earlier than ``since``, so the lateness of the
        wake-up is not lost capacity. Without it the cost arrives ``now``.
        """
        lock = self._lock
        lock.acquire()  # not `with`: its __exit__ call costs as much as the idle path below
        try:
            if self._busy_until <= now and since >= now:
                # every cell is idle (its TAT <= now): no check, and a cell this request does
                # not charge may be set to now, which changes nothing at now or later
                tats = self._tats
                pair = self._pair
                if pair is not None:  # two cells, as in every provider's set (requests and
                    # tokens per minute): unrolled, a sixth of an uncontended acquire saved
                    d0, t0, d1, t1 = pair
                    tats[0] = busy = now + costs[d0] * t0
                    tats[1] = tat = now + costs[d1] * t1
                    self._busy_until = tat if tat > busy else busy
                    return 0.0
                busy = now
                for i, dim, interval in self._idle_plan:
                    tats[i] = tat = now + costs[dim] * interval
                    if tat > busy:  # noqa: PLR1730 - max() is a call: slower here
                        busy = tat
                self._busy_until = busy
                return 0.0
            # no cell owes more than the smallest burst less the largest step of these costs:
            # every cell fits them without a check of each (a sufficient condition)
            m = self._dim_intervals
            step = costs[0] * m[0] + costs[1] * m[1] + costs[2] * m[2] + costs[3] * m[3]
            if since >= now and self._busy_until - now <= self._min_span - step:
                self._take_unchecked(now, costs)
                return 0.0
            return self._take_checked(now, costs, since)
        finally:
            lock.release()

    def _take_unchecked(self, now: float, costs: Sequence[float]) -> None:
        tats = self._tats
        busy = self._busy_until
        if self._pair is not None:  # requests and tokens: unrolled, as on the idle path
            d0, t0, d1, t1 = self._pair
            a, b = tats[0], tats[1]
            tats[0] = a = (a if a > now else now) + costs[d0] * t0
            tats[1] = b = (b if b > now else now) + costs[d1] * t1
            if a > busy:  # noqa: PLR1730 - max() is a call: slower here
                busy = a
            if b > busy:  # noqa: PLR1730
                busy = b
            self._busy_until = busy
            return
        for i, dim, interval in self._idle_plan:
            tat = tats[i]  # a cell this cost does not charge may move up to now: no change
            tats[i] = tat = (tat if tat > now else now) + costs[dim] * interval
            if tat > busy:  # noqa: PLR1730 - max() is a call: slower here
                busy = tat
        self._busy_until = busy

    def _take_checked(self, now: float, costs: Sequence[float], since: float) -> float:
        tats = self._tats
        ready = _NEVER  # the moment the cost first fits every cell it is charged in
        for i, dim, interval, span in self._plan:
            step = costs[dim] * interval
            if step:  # a cost c fits when tat - now <= (burst - c) * interval, or tat <= now
                fits_at = tats[i] - span + step if step < span else tats[i]
                if fits_at > ready:  # noqa: PLR1730 - max() is a call: slower here
                    ready = fits_at
        if ready - now > EPSILON:
            return ready - now
        arrival = ready if ready > since else since  # never before `since`...
        if arrival > now:  # noqa: PLR1730 - ...nor after now
            arrival = now
        busy = self._busy_until
        for i, dim, interval, _ in self._plan:
            step = costs[dim] * interval
            if step:
                tat = tats[i]
                tats[i] = tat = (tat if tat > arrival else arrival) + step
                if tat > busy:  # noqa: PLR1730 - max() is a call: slower here
                    busy = tat
        self._busy_until = busy
        return 0.0

    def wait_for(self, now: float, costs: Sequence[float]) -> float:
        """How long ``costs`` would wait now, taking nothing."""
        with self._lock:
            wait = 0.0
            for i, tat in enumerate(self._tats):
                cost = costs[self._dims[i]]
                if cost:
                    slack = max(self._bursts[i] - cost, 0.0) * self._intervals[i]
                    wait = max(wait, tat - now - slack)
            return wait

    def adjust(self, now: float, deltas: Sequence[float]) -> None:
        """Charge (positive) or refund (negative) amounts already taken, e.g. when settling."""
        with self._lock:
            for i, tat in enumerate(self._tats):
                delta = deltas[self._dims[i]]
                if delta and tat != -math.inf:
                    moved = tat + delta * self._intervals[i]
                    self._tats[i] = moved if delta > 0 else max(moved, now)
                elif delta > 0:
                    self._tats[i] = now + delta * self._intervals[i]
            self._busy_until = max(self._tats, default=-math.inf)

    def block_until(self, dimension: str | None, until: float) -> None:
        """Admit nothing in ``dimension`` (every dimension if None) before ``until``."""
        with self._lock:
            for i, lim in enumerate(self.limits):
                if dimension is None or lim.dimension == dimension:
                    slack = max(self._bursts[i] - 1.0, 0.0) * self._intervals[i]
                    self._tats[i] = max(self._tats[i], until + slack)
            self._busy_until = max(self._tats, default=-math.inf)

    def stats(self, now: float) -> list[CellStats]:
        """Per limit: units in use (still draining), remaining, utilisation and reset time."""
        with self._lock:
            out = []
            for i, lim in enumerate(self.limits):
                owed = max(self._tats[i] - now, 0.0)
                in_use = min(owed / self._intervals[i], lim.limit)
                out.append(
                    CellStats(
                        name=lim.name,
                        limit=lim.limit,
                        period=lim.period,
                        in_use=in_use,
                        remaining=lim.limit - in_use,
                        utilisation=in_use / lim.limit,
                        reset_seconds=owed,
                    )
                )
            return out

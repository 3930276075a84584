"""The waiting room: priority classes and tenants share capacity by weighted fair queuing.

Each waiter gets a virtual finish tag ``max(V, last tag of its flow) + size / weight`` (self-
clocked fair queuing), where a flow is one (key, priority) pair, ``size`` is the seconds the
request occupies its busiest limit and ``V`` is the tag of the last waiter served. Waiters are
served strictly in tag order and the head blocks everyone behind it until it fits, so:

- a flow of weight ``w`` gets at least ``w / sum(weights)`` of the capacity while it waits;
- nobody is starved: a large request's tag is fixed when it arrives, and later arrivals get
  tags after ``V``, so at most one tag's worth of work from each other flow passes it;
- inside a flow, waiters are served in arrival order.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Hashable, Mapping, Sequence
from typing import Literal

from powertools.ratelimit.errors import ConfigurationError

__all__ = ["PRIORITY_WEIGHTS", "FairQueue", "Priority", "Waiter", "check_priority"]

Priority = Literal["critical", "high", "normal", "low"]

#: Share of capacity per class while every class is waiting: 8 : 4 : 2 : 1.
PRIORITY_WEIGHTS: Mapping[str, float] = {"critical": 8.0, "high": 4.0, "normal": 2.0, "low": 1.0}


def check_priority(priority: str) -> float:
    """The weight of ``priority``; a clear error for a name that is not a class."""
    try:
        return PRIORITY_WEIGHTS[priority]
    except KeyError:
        raise ConfigurationError(
            f"unknown priority {priority!r}: use one of {', '.join(PRIORITY_WEIGHTS)}"
        ) from None


class Waiter:
    """One queued request: its costs, its place in line and the future that admits it.

    ``since`` is when it was queued: its capacity is never counted from before then.
    """

    __slots__ = ("costs", "finish", "flow", "future", "seq", "since", "size", "slot")

    def __init__(  # noqa: PLR0917 - an internal record, built in one place
        self,
        future: asyncio.Future[None],
        costs: Sequence[float],
        slot: bool,
        flow: Hashable,
        size: float,
        since: float = 0.0,
    ) -> None:
        self.future = future
        self.costs = costs
        self.slot = slot
        self.flow = flow
        self.size = size
        self.since = since
        self.finish = 0.0
        self.seq = 0

    def __lt__(self, other: Waiter) -> bool:
        return (self.finish, self.seq) < (other.finish, other.seq)


class FairQueue:
    """Waiters ordered by virtual finish tag; cancelled ones are dropped lazily.

    >>> loop = asyncio.new_event_loop()
    >>> q = FairQueue()
    >>> low = q.push(Waiter(loop.create_future(), (1,), False, ("a", "low"), 1.0), 1.0)
    >>> high = q.push(Waiter(loop.create_future(), (1,), False, ("b", "high"), 1.0), 4.0)
    >>> q.head() is high, len(q)
    (True, 2)
    >>> loop.close()
    """

    __slots__ = ("_heap", "_last", "_live", "_seconds", "_seq", "virtual")

    def __init__(self) -> None:
        self._heap: list[Waiter] = []
        self._last: dict[Hashable, float] = {}
        self._seq = itertools.count()
        self._live = 0
        self._seconds = 0.0
        self.virtual = 0.0

    def __len__(self) -> int:
        return self._live

    @property
    def queued_seconds(self) -> float:
        """Sum of the sizes of the live waiters: a lower bound of the time to serve them all."""
        return max(self._seconds, 0.0)

    def push(self, waiter: Waiter, weight: float) -> Waiter:
        """Tag ``waiter`` for its flow and weight, and queue it."""
        start = max(self.virtual, self._last.get(waiter.flow, 0.0))
        waiter.finish = start + max(waiter.size, 1e-9) / weight
        waiter.seq = next(self._seq)
        self._last[waiter.flow] = waiter.finish
        heapq.heappush(self._heap, waiter)
        self._live += 1
        self._seconds += waiter.size
        return waiter

    def head(self) -> Waiter | None:
        """The next waiter to serve, skipping those whose future is already done."""
        heap = self._heap
        while heap and heap[0].future.done():
            heapq.heappop(heap)
        return heap[0] if heap else None

    def pop(self) -> Waiter:
        """Remove the head (after ``head()`` returned it) and advance virtual time to its tag."""
        waiter = heapq.heappop(self._heap)
        self.virtual = waiter.finish
        self._forget(waiter)
        if len(self._last) > 2 * self._live + 64:
            self._last = {f: t for f, t in self._last.items() if t > self.virtual}
        return waiter

    def discard(self, waiter: Waiter) -> None:
        """Account for a waiter that left the line (cancelled or timed out) before ``pop``."""
        self._forget(waiter)

    def _forget(self, waiter: Waiter) -> None:
        self._live -= 1
        self._seconds -= waiter.size
        if not self._live:
            self._seconds = 0.0

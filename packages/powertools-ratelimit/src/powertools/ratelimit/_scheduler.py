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

import heapq
import itertools
import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Literal, Protocol

from powertools.ratelimit.errors import ConfigurationError

__all__ = ["PRIORITY_WEIGHTS", "FairQueue", "Grant", "Priority", "Waiter", "check_priority"]

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


class Grant(Protocol):
    """How a waiter is told: an ``asyncio.Future`` (async callers) or a
    ``concurrent.futures.Future`` (blocking callers) — both have these methods."""

    def done(self) -> bool:
        """Whether it was told (or cancelled)."""
        ...

    def cancel(self) -> bool:
        """Stop waiting."""
        ...

    def cancelled(self) -> bool:
        """Whether it was cancelled."""
        ...

    def result(self) -> None:
        """Raise the refusal, if it was refused."""
        ...

    def set_result(self, result: None, /) -> None:
        """Admit it."""
        ...

    def set_exception(self, exception: BaseException, /) -> None:
        """Refuse it."""
        ...


class Waiter:
    """One queued request: its costs, its place in line and the future that admits it.

    ``since`` is when it was queued: its capacity is never counted from before then.
    ``deadline`` is when its caller gives up (its timeout, on the limiter's clock).
    ``granted`` turns true when its cost is taken for it, before its future is told (a
    blocking thread may tell an event loop's future only through the loop).
    """

    __slots__ = ("costs", "deadline", "finish", "flow", "future", "granted", "seq", "served",
                 "since", "size", "slot")  # fmt: skip

    def __init__(  # noqa: PLR0917 - an internal record, built in one place
        self,
        future: Grant,
        costs: Sequence[float],
        slot: bool,
        flow: Hashable,
        size: float,
        since: float = 0.0,
        deadline: float = math.inf,
    ) -> None:
        self.future = future
        self.costs = costs
        self.slot = slot
        self.flow = flow
        self.size = size
        self.since = since
        self.deadline = deadline
        self.granted = False
        self.served = False  # popped from the queue (granted, or failed at once)
        self.finish = 0.0
        self.seq = 0

    def __lt__(self, other: Waiter) -> bool:
        return (self.finish, self.seq) < (other.finish, other.seq)


class FairQueue:
    """Waiters ordered by virtual finish tag; cancelled ones are dropped lazily.

    >>> import asyncio
    >>> loop = asyncio.new_event_loop()
    >>> q = FairQueue()
    >>> low = q.push(Waiter(loop.create_future(), (1,), False, ("a", "low"), 1.0), 1.0)
    >>> high = q.push(Waiter(loop.create_future(), (1,), False, ("b", "high"), 1.0), 4.0)
    >>> q.head() is high, len(q)
    (True, 2)
    >>> loop.close()
    """

    __slots__ = ("_heap", "_last", "_live", "_on_change", "_seconds", "_seq", "virtual")

    def __init__(self, on_change: Callable[[], None] | None = None) -> None:
        self._on_change = on_change  # called when the line stops or starts being empty
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

    def tag(self, flow: Hashable, size: float, weight: float) -> float:
        """The finish tag a waiter of ``flow``, ``size`` and ``weight`` would get now."""
        return max(self.virtual, self._last.get(flow, 0.0)) + max(size, 1e-9) / weight

    def seconds_ahead(self, flow: Hashable, size: float, weight: float) -> float:
        """Seconds of queued work a new waiter of this flow and weight would be served after.

            >>> import asyncio
        >>> loop = asyncio.new_event_loop()
            >>> q = FairQueue()
            >>> for _ in range(3):
            ...     _ = q.push(Waiter(loop.create_future(), (1,), False, (None, "low"), 1.0), 1.0)
            >>> low, critical = (None, "low"), (None, "critical")
            >>> q.seconds_ahead(low, 1.0, 1.0), q.seconds_ahead(critical, 1.0, 8.0)
            (3.0, 0.0)
            >>> loop.close()
        """
        if not self._live:
            return 0.0
        finish = self.tag(flow, size, weight)
        return sum(
            (
                w.size
                for w in self._heap
                if w.finish <= finish and not (w.served or w.future.done())
            ),
            start=0.0,
        )

    def push(self, waiter: Waiter, weight: float) -> Waiter:
        """Tag ``waiter`` for its flow and weight, and queue it."""
        waiter.finish = self.tag(waiter.flow, waiter.size, weight)
        waiter.seq = next(self._seq)
        self._last[waiter.flow] = waiter.finish
        heapq.heappush(self._heap, waiter)
        self._live += 1
        self._seconds += waiter.size
        if self._live == 1 and self._on_change is not None:
            self._on_change()
        return waiter

    def head(self) -> Waiter | None:
        """The next waiter to serve, skipping those served or whose future is already done."""
        heap = self._heap
        while heap and (heap[0].served or heap[0].future.done()):
            heapq.heappop(heap)
        return heap[0] if heap else None

    def pop(self) -> Waiter:
        """Serve the head (after ``head()`` returned it) and return it."""
        waiter = self._heap[0]
        self.serve(waiter)
        return waiter

    def serve(self, waiter: Waiter) -> None:
        """Take ``waiter`` (the head, or a former head) out of line; advance virtual time.

        A waiter that stopped being the head while its store answered (a higher priority
        arrived) is marked served and dropped lazily, like a cancelled one.
        """
        if self._heap and self._heap[0] is waiter:
            heapq.heappop(self._heap)
        waiter.served = True  # granted or failed: either way it no longer waits
        self.virtual = max(self.virtual, waiter.finish)
        self._forget(waiter)
        if len(self._last) > 2 * self._live + 64:
            self._last = {f: t for f, t in self._last.items() if t > self.virtual}

    def discard(self, waiter: Waiter) -> None:
        """Account for a waiter that left the line (cancelled or timed out) before ``pop``."""
        self._forget(waiter)

    def _forget(self, waiter: Waiter) -> None:
        self._live -= 1
        self._seconds -= waiter.size
        if not self._live:
            self._seconds = 0.0
            if self._on_change is not None:
                self._on_change()

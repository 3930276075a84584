"""A reservation: capacity taken for one call, settled to the actual usage afterwards.

A reservation knows nothing of the limiter that made it: it is admitted by, and settles
against, a ``Gate`` — the five operations below. ``_admission.Admission`` is the gate of
every ``RateLimiter``; the modules stack one way (``_reservation`` ← ``_admission`` ←
``_limiter``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator, Sequence
from types import TracebackType
from typing import Protocol

from powertools.ratelimit._limits import Cost

__all__ = ["NOTHING", "Followed", "Gate", "Reservation"]

#: What settling a reservation that holds nothing charges: nothing.
NOTHING = Cost(0.0, 0.0, 0.0, 0.0)


class Gate(Protocol):
    """What a reservation is admitted by and settles against."""

    #: The gate's clock.
    now: Callable[[], float]
    #: The one fast path: take ``costs`` at ``now`` and return 0 when nothing stands in the
    #: way (nobody queued, no store, no slots) and they fit; else take nothing, return > 0.
    take_now: Callable[[float, Sequence[float]], float]

    async def await_turn(self, reservation: Reservation) -> None:
        """Wait in the queue until the cost is taken; raise having taken nothing."""
        ...

    def block_for_turn(self, reservation: Reservation) -> None:
        """``await_turn`` for a blocking caller: the same queue, the same priorities."""
        ...

    def release_slot(self) -> None:
        """Give back one concurrency slot."""
        ...

    def charge(self, deltas: Sequence[float]) -> asyncio.Task[None] | None:
        """Charge (positive) or refund (negative) amounts already taken."""
        ...


# a reservation's state: capacity not taken (or given back); taken and held (inside the
# block); taken, slot released (after the block: still settled against)
_FREE, _HELD, _TAKEN = 0, 1, 2


class Reservation:
    """Capacity reserved for one call; a context manager (sync and async) and an awaitable.

    Entering waits for capacity; leaving frees the concurrency slot. ``settle()`` replaces the
    estimate with the actual usage and refunds (or charges) the difference. If waiting fails,
    times out or is cancelled, nothing stays taken — and settling it then changes nothing.

    >>> from powertools.ratelimit import RateLimiter
    >>> limiter = RateLimiter(tokens_per_minute=10_000, burst={"tokens_per_minute": 10_000})
    >>> with limiter.acquire(tokens=5_000) as r:
    ...     r.settle(tokens=1_000)
    Cost(requests=0.0, tokens=-4000.0, input_tokens=-4000.0, output_tokens=0.0)
    >>> limiter.acquire(tokens=5_000).settle(tokens=0)  # never entered: nothing to refund
    Cost(requests=0.0, tokens=0.0, input_tokens=0.0, output_tokens=0.0)
    """

    __slots__ = ("_costs", "_gate", "_slot", "_state", "priority", "tenant", "timeout")

    def __init__(  # noqa: PLR0917 - built in one place, positionally: a hot path
        self,
        gate: Gate,
        costs: tuple[float, float, float, float],
        priority: str = "normal",
        tenant: str | None = None,
        timeout: float | None = None,
        slot: bool = False,
    ) -> None:
        self._gate = gate
        self._costs = costs  # Cost's order, as a plain tuple: cheaper to make
        self.priority = priority
        self.tenant = tenant
        self.timeout = timeout
        self._slot = slot  # holds (or will hold) a concurrency slot
        self._state = 0  # _FREE: literals, as globals cost a lookup on the hot path

    def __repr__(self) -> str:
        state = ("not held", "held", "released")[self._state]
        return f"<Reservation {self.cost} priority={self.priority} tenant={self.tenant!r} {state}>"

    @property
    def cost(self) -> Cost:
        """What this call is charged now: the estimate, or the actual usage once settled."""
        return Cost(*self._costs)

    @property
    def costs(self) -> tuple[float, float, float, float]:
        """The cost as a plain tuple in ``DIMENSIONS`` order (what the gate takes)."""
        return self._costs

    @property
    def slot(self) -> bool:
        """Whether the reservation holds (or, once admitted, will hold) a concurrency slot."""
        return self._slot

    @property
    def held(self) -> bool:
        """Whether capacity is taken and the concurrency slot (if any) not yet released."""
        return self._state == _HELD

    @property
    def taken(self) -> bool:
        """Whether capacity was taken (and not given back): whether ``settle`` has an effect."""
        return self._state != _FREE

    async def __aenter__(self) -> Reservation:
        gate = self._gate
        if gate.take_now(gate.now(), self._costs):
            await gate.await_turn(self)
        self._state = 1  # _HELD
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._slot:
            self.release()
        elif self._state == 1:  # _HELD
            self._state = 2  # _TAKEN

    def __enter__(self) -> Reservation:
        gate = self._gate
        if gate.take_now(gate.now(), self._costs):
            gate.block_for_turn(self)
        self._state = 1  # _HELD
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._slot:
            self.release()
        elif self._state == 1:  # _HELD
            self._state = 2  # _TAKEN

    def __await__(self) -> Generator[object, None, Reservation]:
        # a generator, not `return self.__aenter__().__await__()`: one frame fewer
        gate = self._gate
        if gate.take_now(gate.now(), self._costs):
            yield from gate.await_turn(self).__await__()
        self._state = 1  # _HELD
        return self

    def release(self) -> None:
        """Give back the concurrency slot; rate capacity already used stays used. Idempotent."""
        if self._state == _HELD:
            self._state = _TAKEN
            if self._slot:
                self._slot = False
                self._gate.release_slot()

    def give_back(self) -> Cost:
        """Return everything taken — the call was not made — and the slot; return what went back.

        For a call dropped after admission (its budget refused, the router went elsewhere).
        Like ``settle``, it changes nothing on a reservation that holds nothing; idempotent.
        """
        if self._state == _FREE:
            return NOTHING
        self.release()
        self._state = _FREE
        back = Cost(*(-c for c in self._costs))
        self._gate.charge(back)
        return back

    def settle(
        self,
        tokens: float | None = None,
        *,
        input_tokens: float | None = None,
        output_tokens: float | None = None,
    ) -> Cost:
        """Replace the estimate with the actual usage; return the difference charged.

        A negative difference is refunded to the limits (the call used less than reserved).
        Settling again replaces the previous actual usage (nothing is refunded twice). A
        reservation that holds nothing (never entered, timed out, cancelled) settles nothing.
        With a shared store the adjustment is sent in the background; ``asettle`` awaits it.
        """
        if self._state == _FREE:
            return NOTHING
        delta = self._delta(tokens, input_tokens, output_tokens)
        self._gate.charge(delta)  # the gate keeps a store's task alive
        return delta

    async def asettle(
        self,
        tokens: float | None = None,
        *,
        input_tokens: float | None = None,
        output_tokens: float | None = None,
    ) -> Cost:
        """``settle`` that waits until a shared store has the adjustment."""
        if self._state == _FREE:
            return NOTHING
        delta = self._delta(tokens, input_tokens, output_tokens)
        task = self._gate.charge(delta)
        if task is not None:
            await task
        return delta

    def _delta(
        self, tokens: float | None, input_tokens: float | None, output_tokens: float | None
    ) -> Cost:
        actual = Cost.of(
            tokens=tokens,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            requests=self._costs[0],
        )
        old = self._costs
        self._costs = actual.as_tuple()
        return Cost(
            0.0,
            actual.tokens - old[1],
            actual.input_tokens - old[2],
            actual.output_tokens - old[3],
        )


class Followed(Reservation):
    """A reservation whose settling also settles a tenant's own reservation and tells a counter.

    ``QuotaManager`` makes these: the tenant's quota (``per_tenant``) is settled alongside the
    shared one, and the usage forecast hears every difference charged.
    """

    __slots__ = ("_linked", "_on_settle")

    def __init__(  # noqa: PLR0917 - as Reservation's
        self,
        gate: Gate,
        costs: tuple[float, float, float, float],
        priority: str = "normal",
        tenant: str | None = None,
        timeout: float | None = None,
        slot: bool = False,
    ) -> None:
        super().__init__(gate, costs, priority, tenant, timeout, slot)
        self._linked: Reservation | None = None
        self._on_settle: Callable[[Cost], None] | None = None

    def follow(self, linked: Reservation | None, on_settle: Callable[[Cost], None] | None) -> None:
        """Settle ``linked`` alongside this one, and tell ``on_settle`` each difference charged."""
        self._linked = linked
        self._on_settle = on_settle

    def give_back(self) -> Cost:
        """``Reservation.give_back``, for the linked reservation and the counter too."""
        back = super().give_back()
        if back is not NOTHING:
            self._tell(back, lambda r: r.give_back())
        return back

    def settle(
        self,
        tokens: float | None = None,
        *,
        input_tokens: float | None = None,
        output_tokens: float | None = None,
    ) -> Cost:
        """``Reservation.settle``, for the linked reservation and the counter too."""
        delta = super().settle(tokens, input_tokens=input_tokens, output_tokens=output_tokens)
        if delta is not NOTHING:
            self._tell(
                delta,
                lambda r: r.settle(tokens, input_tokens=input_tokens, output_tokens=output_tokens),
            )
        return delta

    async def asettle(
        self,
        tokens: float | None = None,
        *,
        input_tokens: float | None = None,
        output_tokens: float | None = None,
    ) -> Cost:
        """``Reservation.asettle``, for the linked reservation and the counter too."""
        delta = await super().asettle(
            tokens, input_tokens=input_tokens, output_tokens=output_tokens
        )
        if delta is not NOTHING:
            if self._linked is not None:
                await self._linked.asettle(
                    tokens, input_tokens=input_tokens, output_tokens=output_tokens
                )
            if self._on_settle is not None:
                self._on_settle(delta)
        return delta

    def _tell(self, delta: Cost, to_linked: Callable[[Reservation], object]) -> None:
        if self._linked is not None:
            to_linked(self._linked)
        if self._on_settle is not None:
            self._on_settle(delta)

"""A reservation: capacity taken for one call, settled to the actual usage afterwards."""

from __future__ import annotations

from collections.abc import Generator
from types import TracebackType
from typing import TYPE_CHECKING

from powertools.ratelimit._limits import Cost

if TYPE_CHECKING:
    from powertools.ratelimit._limiter import RateLimiter

__all__ = ["Reservation"]


class Reservation:
    """Capacity reserved for one call; a context manager (sync and async) and an awaitable.

    ``RateLimiter.acquire`` makes them (setting the attributes itself: an ``__init__`` call
    would be a fifth of the uncontended acquire).

    Entering waits for capacity; leaving frees the concurrency slot. ``settle()`` replaces the
    estimate with the actual usage and refunds (or charges) the difference. If waiting fails,
    times out or is cancelled, nothing stays taken.
    """

    __slots__ = ("_costs", "_held", "_limiter", "_linked", "_slot", "key", "priority", "timeout")

    _limiter: RateLimiter
    _costs: tuple[float, float, float, float]  # Cost's order, as a plain tuple: cheaper to make
    priority: str
    key: str | None
    timeout: float | None
    _slot: bool  # holds (or will hold) a concurrency slot
    _held: bool
    _linked: Reservation | None  # a key's own reservation (QuotaManager), settled alongside

    def __repr__(self) -> str:
        state = "held" if self._held else "not held"
        return f"<Reservation {self.cost} priority={self.priority} key={self.key!r} {state}>"

    @property
    def cost(self) -> Cost:
        """What this call is charged now: the estimate, or the actual usage once settled."""
        return Cost(*self._costs)

    @property
    def held(self) -> bool:
        """Whether capacity is taken and the concurrency slot (if any) not yet released."""
        return self._held

    async def __aenter__(self) -> Reservation:
        limiter = self._limiter
        # the uncontended path, inline: nobody queued, no store, no concurrency slot to take
        if (
            limiter._store is None
            and not self._slot
            and not limiter._queue._live
            and not limiter._cells.try_take(limiter._clock(), self._costs)
        ):
            self._held = True
            return self
        await limiter._acquire_async(self)
        self._held = True
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._slot:
            self.release()
        self._held = False

    def __enter__(self) -> Reservation:
        limiter = self._limiter
        if (  # the uncontended path, as in __aenter__
            limiter._store is None
            and not self._slot
            and not limiter._queue._live
            and not limiter._cells.try_take(limiter._clock(), self._costs)
        ):
            self._held = True
            return self
        limiter._acquire_sync(self)
        self._held = True
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._slot:
            self.release()
        self._held = False

    def __await__(self) -> Generator[object, None, Reservation]:
        # a generator, not `return self.__aenter__().__await__()`: one frame fewer
        limiter = self._limiter
        if (  # the uncontended path, as in __aenter__
            limiter._store is None
            and not self._slot
            and not limiter._queue._live
            and not limiter._cells.try_take(limiter._clock(), self._costs)
        ):
            self._held = True
            return self
        yield from limiter._acquire_async(self).__await__()
        self._held = True
        return self

    def release(self) -> None:
        """Give back the concurrency slot; rate capacity already used stays used. Idempotent."""
        if self._held:
            self._held = False
            if self._slot:
                self._slot = False
                self._limiter._release_slot()

    def settle(
        self,
        tokens: float | None = None,
        *,
        input_tokens: float | None = None,
        output_tokens: float | None = None,
    ) -> Cost:
        """Replace the estimate with the actual usage; return the difference charged.

        A negative difference is refunded to the limits (the call used less than reserved).
        With a shared store the adjustment is sent in the background; ``asettle`` awaits it.
        """
        delta = self._delta(tokens, input_tokens, output_tokens)
        if self._linked is not None:
            self._linked.settle(tokens, input_tokens=input_tokens, output_tokens=output_tokens)
        self._limiter._adjust(delta.as_tuple())  # the limiter keeps a store's task alive
        return delta

    async def asettle(
        self,
        tokens: float | None = None,
        *,
        input_tokens: float | None = None,
        output_tokens: float | None = None,
    ) -> Cost:
        """``settle`` that waits until a shared store has the adjustment."""
        delta = self._delta(tokens, input_tokens, output_tokens)
        if self._linked is not None:
            await self._linked.asettle(
                tokens, input_tokens=input_tokens, output_tokens=output_tokens
            )
        task = self._limiter._adjust(delta.as_tuple())
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
        old = self.cost
        self._costs = actual.as_tuple()
        return Cost(
            0.0,
            actual.tokens - old.tokens,
            actual.input_tokens - old.input_tokens,
            actual.output_tokens - old.output_tokens,
        )

"""Hedged requests (opt-in): a second candidate when the first is slower than its own p95.

When the chosen model has not answered by its p95 latency (measured, or twice the engine's
prediction while cold), the same request goes to the next candidate too. The first answer
wins; the other is cancelled, and its budget hold released. A hedge that answered before the
cancellation reached it is paid for, and shown in the result.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from powertools.router._attempt import Layers, RouteContext, Ticket, complete
from powertools.router._engine import Scored
from powertools.router._request import Request, Response

__all__ = ["Hedged", "hedge_delay", "hedged"]

_Result = tuple[Response, Ticket]


@dataclass(slots=True)
class Hedged:
    """The winner (``None`` when both failed), and the errors of the attempts that failed."""

    response: Response | None
    ticket: Ticket | None
    hedge_won: bool
    errors: list[tuple[Scored, BaseException]] = field(default_factory=list)
    hedge_sent: bool = False
    also_paid: list[Ticket] = field(default_factory=list)


def hedge_delay(layers: Layers, scored: Scored) -> float:
    """Seconds to wait for the first answer before hedging."""
    p95 = layers.stats_of(scored.candidate.key).p95_latency()
    return p95 if p95 is not None else 2.0 * scored.latency_ms / 1000.0


async def _finish(task: asyncio.Future[_Result]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


async def hedged(
    layers: Layers, first: Scored, second: Scored, request: Request, ctx: RouteContext
) -> Hedged:
    """Run ``first``; if it is slow, race ``second`` against it.

    Raises the first attempt's error when it fails before the hedge was sent.
    """
    primary = asyncio.ensure_future(complete(layers, first, request, ctx))
    first_done, _ = await asyncio.wait({primary}, timeout=hedge_delay(layers, first))
    if first_done:
        response, ticket = primary.result()
        return Hedged(response, ticket, hedge_won=False)
    backup = asyncio.ensure_future(complete(layers, second, request, ctx))
    errors: list[tuple[Scored, BaseException]] = []
    pending: set[asyncio.Future[_Result]] = {primary, backup}
    try:
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            # the primary first when both finished in the same step: a deterministic winner
            for task in sorted(done, key=lambda t: t is not primary):
                error = task.exception()
                if error is not None:
                    errors.append((first if task is primary else second, error))
            answered = [t for t in (primary, backup) if t in done and t.exception() is None]
            if answered:
                for other in pending:
                    await _finish(other)
                return _won(answered, primary, errors)
    finally:
        for task in (primary, backup):
            if not task.done():
                await _finish(task)
    return Hedged(None, None, hedge_won=False, errors=errors, hedge_sent=True)


def _won(
    answered: Sequence[asyncio.Future[_Result]],
    primary: asyncio.Future[_Result],
    errors: list[tuple[Scored, BaseException]],
) -> Hedged:
    response, ticket = answered[0].result()
    won = Hedged(response, ticket, hedge_won=answered[0] is not primary, hedge_sent=True)
    won.errors = errors
    won.also_paid = [t.result()[1] for t in answered[1:]]  # both answered: both cost money
    return won

"""One attempt of one candidate, through every layer of the call lifecycle, in order:

rate limiter (wait for room, at most what the deadline leaves) -> budget (hold the worst case,
or skip) -> circuit breaker (admit, or skip) -> the provider call with the attempt's timeout ->
cost (commit the reported usage, release the rest) -> stats, limiter and breaker fed back.

:func:`admitted` takes the layers in and out around any call (complete or stream);
:func:`complete` is the plain call through it. A candidate that is never sent raises
:class:`Skipped`; a failed call raises :class:`~powertools.router.errors.ProviderError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from powertools.cost import BudgetExceededError
from powertools.retry import CircuitOpenError, ErrorCategory, classify
from powertools.router._breakers import Breakers
from powertools.router._budget import BudgetGate
from powertools.router._engine import Scored
from powertools.router._limits import RateLimits
from powertools.router._request import Request, Response
from powertools.router._result import Attempt
from powertools.router._stats import ModelStats
from powertools.router._telemetry import Telemetry
from powertools.router.errors import ProviderError
from powertools.router.providers._base import Provider

if TYPE_CHECKING:
    from powertools.cost import Reservation

__all__ = ["Layers", "RouteContext", "Skipped", "Ticket", "admitted", "complete"]

log = logging.getLogger("powertools.router")


@dataclass(slots=True)
class Layers:
    """Everything an attempt goes through; one per router."""

    providers: dict[str, Provider]
    budget: BudgetGate
    breakers: Breakers
    limits: RateLimits
    telemetry: Telemetry
    clock: Callable[[], float] = time.monotonic
    attempt_timeout: float | None = None
    stats: dict[str, ModelStats] = field(default_factory=dict)

    def stats_of(self, key: str) -> ModelStats:
        """The counters of ``provider/model`` (created on first use)."""
        found = self.stats.get(key)
        if found is None:
            found = self.stats[key] = ModelStats()
        return found


@dataclass(slots=True, frozen=True)
class RouteContext:
    """What every attempt of one route shares."""

    trace_id: str
    deadline_at: float
    user: str | None = None
    tags: tuple[str, ...] = ()
    priority: str = "normal"
    prompt_tokens: int = 0


class Skipped(Exception):  # noqa: N818  (a signal between the layers, never raised to users)
    """The candidate was never sent: ``category`` is budget, rate_limit, circuit or deadline."""

    def __init__(self, reason: str, category: str, cause: BaseException | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.category = category
        self.cause = cause


@dataclass(slots=True)
class Ticket:
    """An admitted attempt: the request to send, and how to report its end."""

    scored: Scored
    request: Request
    started: float
    hold: Reservation | None
    layers: Layers
    slot: Any = None
    cost_fd: int = 0
    settled: bool = False

    async def succeed(self, response: Response) -> int:
        """Commit the reported usage's cost; feed the stats, limiter and breaker."""
        layers, c = self.layers, self.scored.candidate
        self.cost_fd = c.price.period().cost_fd(response.usage)
        reported = _report(c.model, "local" if c.local else c.provider, response)
        await layers.budget.settle(self.hold, self.cost_fd, reported_to_span=reported)
        self.settled = True
        elapsed = layers.clock() - self.started
        layers.stats_of(c.key).record_ok(
            latency=elapsed,
            ttft=response.timings.ttft,
            tokens_per_second=response.timings.output_tokens_per_second,
            cost_fd=self.cost_fd,
            input_tokens=response.usage.prompt_tokens,
            output_tokens=response.usage.completion_tokens,
        )
        layers.limits.observe(
            c.provider,
            c.model,
            response.headers,
            None,
            reservation=self.slot,
            used_tokens=response.usage.total_tokens,
        )
        return self.cost_fd


def _report(model: str, provider: str, response: Response) -> bool:
    """Record the usage into the caller's ``CostTracker.track_call()`` span, if one is open.

    Whether a span took it (its exit commits it to that span's tracker's budgets).
    """
    from powertools.cost import report_usage  # with the first answer, not with the router

    try:
        return report_usage(response.usage, model=model, provider=provider) is not None
    except Exception as exc:  # the answer is already paid for: a span that cannot price it
        log.warning("powertools.router: the open cost span could not record %s: %s", model, exc)
        return False


def _timeout_error(scored: Scored, seconds: float) -> ProviderError:
    c = scored.candidate
    return ProviderError(
        f"no answer within the attempt's {seconds:.2f} s timeout",
        provider=c.provider,
        model=c.model,
        category=ErrorCategory.TIMEOUT,
    )


def as_provider_error(scored: Scored, exc: BaseException) -> ProviderError:
    """Any failure of a call as a ``ProviderError`` (translated once, here)."""
    if isinstance(exc, ProviderError):
        return exc
    c = scored.candidate
    error = ProviderError(
        f"{type(exc).__name__}: {exc}", provider=c.provider, model=c.model, category=classify(exc)
    )
    error.__cause__ = exc
    return error


async def _hold(layers: Layers, scored: Scored, ctx: RouteContext) -> Reservation | None:
    try:
        return await layers.budget.hold(scored.worst_fd, user=ctx.user, tags=ctx.tags)
    except BudgetExceededError as exc:
        raise Skipped(f"budget cannot hold the worst case ${scored.cost}", "budget", exc) from exc


@contextlib.asynccontextmanager
async def admitted(
    layers: Layers, scored: Scored, request: Request, ctx: RouteContext
) -> AsyncIterator[Ticket]:
    """Take the rate limiter, the budget and the breaker for one attempt, and give them back."""
    c = scored.candidate
    time_left = ctx.deadline_at - layers.clock()
    if time_left <= 0:
        raise Skipped("the route's deadline has passed", "deadline")
    timeout = min(time_left, layers.attempt_timeout or time_left)
    prompt_and_answer = scored.max_tokens + ctx.prompt_tokens
    try:
        async with layers.limits.slot(
            c.provider, c.model, prompt_and_answer, priority=ctx.priority, wait_at_most=time_left
        ) as slot:
            hold = await _hold(layers, scored, ctx)
            ticket = Ticket(
                scored, _for(request, scored, timeout), layers.clock(), hold, layers, slot
            )
            async with _breaker_and_timeout(layers, ticket, timeout):
                yield ticket
    except Exception as exc:
        if _is_rate_limit_timeout(exc):
            raise Skipped("rate limit wait would pass the deadline", "rate_limit", exc) from exc
        raise


def _is_rate_limit_timeout(exc: BaseException) -> bool:
    return type(exc).__name__ == "RateLimitTimeout"


def _for(r: Request, scored: Scored, timeout: float) -> Request:
    """``replace(r, model=..., max_tokens=..., timeout=...)``, without its field lookups."""
    return Request(
        r.messages, scored.candidate.model, r.tools, r.tool_choice, r.response_format,
        scored.max_tokens, r.temperature, r.top_p, r.stop, r.seed, r.reasoning_effort,
        r.thinking_budget, timeout, r.extra,
    )  # fmt: skip


@contextlib.asynccontextmanager
async def _breaker_and_timeout(
    layers: Layers, ticket: Ticket, seconds: float
) -> AsyncIterator[None]:
    key = ticket.scored.candidate.key
    try:
        admission = layers.breakers.admit(key)
    except CircuitOpenError as exc:
        await layers.budget.release(ticket.hold)
        raise Skipped(f"circuit open (probe-able in {exc.retry_after:.1f} s)", "circuit") from exc
    try:
        async with asyncio.timeout(seconds):
            yield
    except (asyncio.CancelledError, GeneratorExit):  # cancelled, or a stream's reader left
        layers.breakers.abandon(key, admission)
        await layers.budget.release(ticket.hold)
        raise
    except BaseException as exc:
        error = _timeout_error(ticket.scored, seconds) if isinstance(exc, TimeoutError) else exc
        await _failed(layers, ticket, as_provider_error(ticket.scored, error), admission)
        if error is exc:
            raise
        raise error from exc
    layers.breakers.settle(key, admission, None, layers.clock() - ticket.started)


async def _failed(layers: Layers, ticket: Ticket, error: ProviderError, admission: Any) -> None:
    c = ticket.scored.candidate
    elapsed = layers.clock() - ticket.started
    layers.breakers.settle(c.key, admission, error, elapsed)
    if not ticket.settled:
        await layers.budget.release(ticket.hold)
    layers.stats_of(c.key).record_error(error.category.value, elapsed)
    layers.limits.observe(c.provider, c.model, None, error.status_code)


async def complete(
    layers: Layers, scored: Scored, request: Request, ctx: RouteContext
) -> tuple[Response, Ticket]:
    """Send one non-streamed attempt through every layer."""
    provider = layers.providers[scored.candidate.provider]
    async with admitted(layers, scored, request, ctx) as ticket:
        with layers.telemetry.span("chat", _attributes(scored)) as span:
            response = await provider.complete(ticket.request)
            span.set("gen_ai.response.model", response.model)
            span.set("gen_ai.usage.input_tokens", response.usage.prompt_tokens)
            span.set("gen_ai.usage.output_tokens", response.usage.completion_tokens)
        await ticket.succeed(response)
    return response, ticket


def _attributes(scored: Scored) -> dict[str, Any]:
    c = scored.candidate
    return {"gen_ai.provider.name": c.provider, "gen_ai.request.model": c.model}


def attempt_record(
    scored: Scored,
    *,
    outcome: str,
    reason: str = "",
    error: BaseException | None = None,
    latency: float = 0.0,
    cost_fd: int = 0,
    hedge: bool = False,
) -> Attempt:
    """The :class:`Attempt` of one try, for the result and the error listing."""
    from powertools.cost import usd

    c = scored.candidate
    category: str | None = None
    status: int | None = None
    if isinstance(error, Skipped):
        category, reason = error.category, reason or error.reason
    elif isinstance(error, ProviderError):
        category, status = error.category.value, error.status_code
        reason = reason or error.message
    elif error is not None:
        category, reason = classify(error).value, reason or f"{type(error).__name__}: {error}"
    return Attempt(
        c.provider,
        c.model,
        outcome,
        reason,
        category,
        latency * 1000.0,
        usd(cost_fd),
        status,
        hedge,
    )

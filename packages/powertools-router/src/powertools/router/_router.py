"""``LLMRouter``: one call that picks the model, stays in budget, fails over, and learns.

``route()`` is the call lifecycle of ``docs/architecture.md``, top to bottom: build the request,
let the decision engine rank the candidates, then try them in rank order under one total
deadline (``_attempt`` takes each through the rate limiter, the budget, the breaker and the
provider), and feed the outcome back into the stats and the learning.

>>> import asyncio
>>> from powertools.router import SimulatedProvider
>>> router = LLMRouter(providers=[SimulatedProvider(latency_scale=0)], explore=0)
>>> result = asyncio.run(router.route(task="Generate Python function", complexity=0.3))
>>> result.provider, result.cost
('simulated', Decimal('0'))
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from powertools.cost import BudgetExceededError, Usage, usd
from powertools.retry import ErrorCategory
from powertools.router import _setup
from powertools.router._attempt import (
    Layers,
    RouteContext,
    Skipped,
    Ticket,
    attempt_record,
    complete,
)
from powertools.router._breakers import Breakers
from powertools.router._budget import BudgetGate
from powertools.router._catalog import Candidate, Catalog, estimate_prompt_tokens
from powertools.router._engine import Decision, Needs, Scored, State, decide
from powertools.router._hedge import hedged
from powertools.router._learning import Learner, LearningStore, SessionLearningStore
from powertools.router._limits import RateLimits
from powertools.router._request import FinishReason, Request, Response, ToolCall
from powertools.router._result import Attempt, RouteResult
from powertools.router._shape import RouteArgs, build_request, needs_of, quality_signal
from powertools.router._telemetry import Telemetry
from powertools.router.errors import (
    AllProvidersFailedError,
    ConfigurationError,
    NoCandidateError,
    ProviderError,
)
from powertools.router.providers._base import Provider

if TYPE_CHECKING:
    from powertools.cost import BudgetManager, CostTracker
    from powertools.router._cache import ResponseCache

__all__ = ["LLMRouter", "Run"]

log = logging.getLogger("powertools.router")

_AUTH_STATUSES = frozenset({401, 403})
_ERROR_WEIGHT = 0.2


@dataclass(slots=True)
class Run:
    """One route in progress: its decision, request, context and attempts so far."""

    decision: Decision
    request: Request
    ctx: RouteContext
    started: float
    complexity: float
    attempts: list[Attempt] = field(default_factory=list)
    budget_error: BudgetExceededError | None = None

    def skipped(self, scored: Scored, skip: Skipped) -> None:
        """Record a candidate that was never sent (and keep a budget refusal to raise)."""
        self.attempts.append(attempt_record(scored, outcome="skipped", error=skip))
        if isinstance(skip.cause, BudgetExceededError):
            self.budget_error = skip.cause


class LLMRouter:
    """Routes tasks to the cheapest model that is good, fast and healthy enough.

    With no arguments it uses what it finds (cloud families whose key is set, local servers
    that answer) and the simulated models when there is nothing (see ``describe()``).

    ``local_models`` and ``cloud_providers`` name what to use; ``providers`` adds provider
    objects; ``budget_usd_per_month`` is a hard monthly limit (or pass your own ``budget=``
    ``BudgetManager`` or ``CostTracker``). ``deadline`` is each route's total time in seconds
    and ``attempt_timeout`` caps one attempt. ``explore`` is the largest share of routes that
    explore (0: off, deterministic). ``hedge`` sends a second request when the first is slower
    than its p95; ``cache_ttl`` answers identical requests from memory for that many seconds
    (and from a shared ``powertools-session`` store with ``cache_store="redis://..."``).
    ``overrides`` changes catalogue numbers (``{"gpt-4o": {"quality": 0.9}}``);
    ``learning_store`` is a ``powertools-session`` URL (or a ``LearningStore``) shared by a fleet.
    """

    def __init__(
        self,
        local_models: Sequence[str] | None = None,
        cloud_providers: Sequence[str] | None = None,
        budget_usd_per_month: Decimal | float | str | None = None,
        *,
        providers: Sequence[Provider] = (),
        budget: BudgetManager | CostTracker | None = None,
        deadline: float = 60.0,
        attempt_timeout: float | None = None,
        max_retry_wait: float = 1.0,
        explore: float = 0.05,
        hedge: bool = False,
        cache_ttl: float | None = None,
        cache_store: str | None = None,
        rate_limits: bool | None = None,
        rate_limit_config: Mapping[str, Mapping[str, Any]] | None = None,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        learning_store: str | LearningStore | None = None,
        breaker_threshold: int = 5,
        breaker_recovery: float = 30.0,
        logger: Any = None,
        telemetry: bool | None = None,
        seed: int | None = 0,
        name: str = "default",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not deadline > 0:
            raise ConfigurationError(f"deadline={deadline!r} must be a positive number of seconds")
        import random

        self.name = name
        self.deadline = deadline
        self.max_retry_wait = max_retry_wait
        self.hedge = hedge
        self.logger = logger
        self._wanted = (tuple(providers), local_models, cloud_providers, seed)
        self._catalog = Catalog(overrides)
        store = (
            SessionLearningStore(learning_store, name=name)
            if isinstance(learning_store, str)
            else learning_store
        )
        self.learner = Learner(
            explore=explore,
            store=store,
            rng=random.Random(seed),  # noqa: S311  (exploration, not security)
        )
        self._cache: ResponseCache | None = None
        if cache_ttl:
            from powertools.router._cache import ResponseCache  # only for a router that caches

            self._cache = ResponseCache(cache_ttl, clock=clock, store=cache_store)
        self._layers = Layers(
            providers={},
            budget=BudgetGate.of(budget, budget_usd_per_month),
            breakers=Breakers(
                failure_threshold=breaker_threshold, recovery_timeout=breaker_recovery, clock=clock
            ),
            limits=RateLimits(enabled=rate_limits, config=rate_limit_config),
            telemetry=Telemetry(telemetry),
            clock=clock,
            attempt_timeout=attempt_timeout,
        )
        self.candidates: list[Candidate] = []
        self._setup: _setup.Setup | None = None
        self._ready_lock = asyncio.Lock()
        self._blocked: dict[str, tuple[str, str]] = {}
        self._skipped_models: list[str] = []
        self._runner: asyncio.Runner | None = None
        self._background: set[asyncio.Task[None]] = set()

    # ---------------------------------------------------------------- setup

    def started(self) -> bool:
        """Whether the router has chosen its providers (it does on the first route)."""
        return self._setup is not None

    async def _ready(self) -> None:
        if self.started():
            return
        async with self._ready_lock:
            if self.started():  # a concurrent first route did it while we waited
                return
            providers, local_models, cloud, seed = self._wanted
            setup = await _setup.resolve(
                providers=providers, local_models=local_models, cloud_providers=cloud, seed=seed
            )
            for provider in setup.providers:
                await self._add(provider, setup)
            if self.learner.store is not None:
                await self.learner.sync()
            self._setup = setup

    async def _add(self, provider: Provider, setup: _setup.Setup) -> None:
        name, local_models = provider.name, setup.local_models
        if name in self._layers.providers:
            raise ConfigurationError(
                f"two providers are named {name!r}: give each provider object its own name"
            )
        self._layers.providers[name] = provider
        for info in await _setup.models_of(setup, provider):
            local = info.local or provider.local
            if local and local_models and not _wanted_local(info.id, local_models):
                continue
            try:
                candidate = self._catalog.candidate(
                    replace(info, provider=name), provider_local=local
                )
            except Exception as exc:  # an unpriced cloud model: skipped, and said so
                self._skipped_models.append(f"{name}/{info.id}: {exc}")
                continue
            self.candidates.append(candidate)

    # ---------------------------------------------------------------- route

    async def route(
        self,
        task: str | None = None,
        *,
        complexity_score: float | None = None,
        complexity: float | None = None,
        required_quality: float | None = None,
        max_latency_ms: float | None = None,
        max_cost_usd: Decimal | float | str | None = None,
        messages: Sequence[Any] | None = None,
        system: str | None = None,
        tools: Sequence[Any] | None = None,
        response_format: Any = None,
        max_tokens: int | None = None,
        temperature: float | None = None,
        user: str | None = None,
        tags: Sequence[str] = (),
        priority: str = "normal",
        deadline: float | None = None,
    ) -> RouteResult:
        """Route one task and return the answer, its cost, latency and the decision behind it.

        ``complexity_score`` (or ``complexity``) in [0, 1] is estimated from the prompt when
        not given; ``required_quality`` defaults to the complexity. Raises
        ``BudgetExceededError`` before spending when nothing fits the budget,
        ``NoCandidateError`` when no model can serve the request, and
        ``AllProvidersFailedError`` (listing every attempt) when every candidate failed.
        """
        args = RouteArgs(
            task, complexity_score if complexity_score is not None else complexity,
            required_quality, max_latency_ms, max_cost_usd, messages, system, tools,
            response_format, max_tokens, temperature, user, tuple(tags), priority, deadline,
        )  # fmt: skip
        return await self._route(args)

    async def _route(self, args: RouteArgs) -> RouteResult:
        await self._ready()
        started = self._layers.clock()
        request, complexity = build_request(args)
        cache_key = self._cache_key(request, args)
        if cache_key is not None and (hit := self._cache_get(cache_key)) is not None:
            return hit
        run = await self.start(request, args, complexity, started)
        if cache_key is not None and (shared := await self._shared_hit(cache_key, run)):
            return shared
        with self._layers.telemetry.span("route", {"gen_ai.request.model": None}) as span:
            response, tickets = await self._failover(run)
            span.set("gen_ai.provider.name", response.provider)
            span.set("gen_ai.response.model", response.model)
        result = self.result_of(run, response, tickets)
        self.learn_from(result, args)
        if cache_key is not None and self._cache is not None:
            self._cache.put(cache_key, result)
            await self._cache.aput_stored(cache_key, _answer_of(result))
        return result

    async def _shared_hit(self, key: str, run: Run) -> RouteResult | None:
        assert self._cache is not None
        data = await self._cache.aget_stored(key)
        if data is None:
            return None
        usage = Usage(**data["usage"])
        calls = tuple(ToolCall(*c) for c in data["tool_calls"])
        response = Response(
            data["text"], data["provider"], data["model"], usage,
            FinishReason(data["finish_reason"]), calls,
        )  # fmt: skip
        result = self.result_of(run, response, [])
        return replace(result, cached=True, latency_ms=0.0)

    async def start(
        self, request: Request, args: RouteArgs, complexity: float, started: float
    ) -> Run:
        """Decide, and set up the route's shared context (its trace id and deadline)."""
        decision = await self.decide_for(request, args, complexity, started)
        ctx = RouteContext(
            os.urandom(16).hex(),  # a random 128-bit trace id (what uuid4().hex gives)
            started + (args.deadline or self.deadline),
            args.user,
            args.tags,
            args.priority,
            decision.needs.prompt_tokens,
        )
        return Run(decision, request, ctx, started, complexity)

    async def decide_for(
        self, request: Request, args: RouteArgs, complexity: float, started: float
    ) -> Decision:
        """The decision for one request (raises when no candidate is left)."""
        budget_fd = await self._layers.budget.headroom_fd()
        needs = needs_of(
            request,
            args,
            complexity,
            prompt_tokens=estimate_prompt_tokens(request),
            budget_fd=budget_fd,
            time_left=(args.deadline or self.deadline) - (self._layers.clock() - started),
        )
        decision = decide(needs, self.candidates, self._states(needs, args.priority))
        if decision.chosen is None:
            self._refuse(decision)
        return decision

    def _refuse(self, decision: Decision) -> None:
        budget = [d for d in decision.dropped if "budget left" in d.reason]
        if budget and decision.needs.budget_fd is not None:
            cheapest = min(
                d.candidate.worst_case_fd(
                    decision.needs.prompt_tokens,
                    min(decision.needs.max_tokens, d.candidate.max_output),
                )
                for d in budget
            )
            raise BudgetExceededError(
                self._layers.budget.tightest, usd(cheapest), usd(decision.needs.budget_fd)
            )
        raise NoCandidateError({d.candidate.key: d.reason for d in decision.dropped})

    def _states(self, needs: Needs, priority: str = "normal") -> dict[str, State]:
        """What is known of each candidate; one it has nothing on is left out (the prior).

        The rate-limit wait is the one a call of the route's ``priority`` would see.
        """
        explore = self.learner.should_explore()
        tokens = needs.prompt_tokens + needs.max_tokens
        states: dict[str, State] = {}
        for c in self.candidates:
            state = self._state(c, needs.complexity, tokens, explore, priority)
            if state is not None:
                states[c.key] = state
        return states

    def _state(
        self, c: Candidate, complexity: float, tokens: int, explore: bool, priority: str
    ) -> State | None:
        layers, learner = self._layers, self.learner
        look, wait = layers.breakers.look(c.key)
        stats = layers.stats.get(c.key)
        blocked = self._blocked_reason(c.provider) if self._blocked else None
        rate_wait = layers.limits.expected_wait(c.provider, c.model, tokens, priority)
        known = learner.knows(c.key, complexity)
        if not (explore or known or stats or blocked or rate_wait or look != "closed"):
            return None
        if explore:
            quality = learner.sample(c.key, c.quality, complexity=complexity)
        else:
            quality = learner.mean(c.key, c.quality, complexity=complexity)
        return State(
            quality=quality,
            quality_sd=learner.spread(c.key, c.quality, complexity=complexity),
            ttft=stats.ttft_estimate if stats else None,
            tokens_per_second=stats.speed_estimate if stats else None,
            breaker=look,
            breaker_wait=wait,
            blocked=blocked,
            rate_wait=rate_wait,
            explored=explore,
        )

    def _blocked_reason(self, provider: str) -> str | None:
        blocked = self._blocked.get(provider)
        if blocked is None:
            return None
        reason, fingerprint = blocked
        if fingerprint != _setup.key_fingerprint(provider):
            del self._blocked[provider]  # the key changed: try the provider again
            return None
        return reason

    # ------------------------------------------------------------- failover

    async def _failover(self, run: Run) -> tuple[Response, list[Ticket]]:
        decision, i = run.decision, 0
        while decision.has(i):  # the choice first; the rest is ranked only if it fails
            scored = decision.at(i)
            i += 1
            reason = self._blocked_reason(scored.candidate.provider)
            if reason is not None:
                run.attempts.append(attempt_record(scored, outcome="skipped", reason=reason))
                continue
            backup = decision.at(i) if self.hedge and decision.has(i) else None
            won = await (
                self._try(run, scored) if backup is None else self._hedged(run, scored, backup)
            )
            if won is not None:
                return won
            if backup is not None and any(a.hedge for a in run.attempts):
                i += 1  # the hedge was sent and failed too
        raise self._all_failed(run)

    async def _try(self, run: Run, scored: Scored) -> tuple[Response, list[Ticket]] | None:
        """Try one candidate (retrying it once after a short wait); ``None`` if it failed."""
        for again in (False, True):
            started = self._layers.clock()
            try:
                response, ticket = await complete(self._layers, scored, run.request, run.ctx)
            except Skipped as skip:
                run.skipped(scored, skip)
                return None
            except ProviderError as error:
                elapsed = self._layers.clock() - started
                run.attempts.append(
                    attempt_record(scored, outcome="failed", error=error, latency=elapsed)
                )
                self._after_failure(scored, error, run.complexity)
                if again or not self._retry_same(error, run.ctx):
                    return None
                await asyncio.sleep(error.retry_after or 0.0)
                continue
            elapsed = self._layers.clock() - started
            run.attempts.append(
                attempt_record(scored, outcome="ok", latency=elapsed, cost_fd=ticket.cost_fd)
            )
            return response, [ticket]
        return None

    async def _hedged(
        self, run: Run, first: Scored, second: Scored
    ) -> tuple[Response, list[Ticket]] | None:
        outcome = await hedged(self._layers, first, second, run.request, run.ctx)
        failed = {id(s) for s, _ in outcome.errors}
        for scored, error in outcome.errors:
            run.attempts.append(
                attempt_record(scored, outcome="failed", error=error, hedge=scored is second)
            )
            if isinstance(error, ProviderError):
                self._after_failure(scored, error, run.complexity)
        if outcome.response is None or outcome.ticket is None:
            return None
        winner, loser = (second, first) if outcome.hedge_won else (first, second)
        run.attempts.append(
            attempt_record(
                winner, outcome="ok", cost_fd=outcome.ticket.cost_fd, hedge=winner is second
            )
        )
        for paid in outcome.also_paid:  # it answered too, in the same instant: paid for
            run.attempts.append(
                attempt_record(loser, outcome="ok", cost_fd=paid.cost_fd, hedge=loser is second)
            )
        if outcome.hedge_sent and id(loser) not in failed and not outcome.also_paid:
            run.attempts.append(
                attempt_record(
                    loser,
                    outcome="cancelled",
                    reason="the other answered first",
                    hedge=loser is second,
                )
            )
        return outcome.response, [outcome.ticket, *outcome.also_paid]

    def _retry_same(self, error: ProviderError, ctx: RouteContext) -> bool:
        """A transient failure with a short, known wait may retry the same model once."""
        if error.category is ErrorCategory.PERMANENT or error.retry_after is None:
            return False
        time_left = ctx.deadline_at - self._layers.clock()
        return error.retry_after <= min(self.max_retry_wait, time_left)

    def _after_failure(self, scored: Scored, error: ProviderError, complexity: float) -> None:
        c = scored.candidate
        if error.status_code in _AUTH_STATUSES:
            reason = (
                f"authentication failed (HTTP {error.status_code}): check the key of "
                f"{c.provider!r}; it is tried again when the key changes"
            )
            self._blocked[c.provider] = (reason, _setup.key_fingerprint(c.provider))
            log.warning("powertools.router: %s", reason)
            return
        if error.category in (
            ErrorCategory.TRANSIENT,
            ErrorCategory.TIMEOUT,
            ErrorCategory.UNKNOWN,
        ):
            self.learner.update(c.key, complexity, 0.0, _ERROR_WEIGHT)

    def _all_failed(self, run: Run) -> Exception:
        attempts = run.attempts
        refused = attempts and all(a.category == "budget" for a in attempts)
        if refused and run.budget_error is not None:  # every hold was refused: nothing spent
            return run.budget_error
        if not attempts:
            return AllProvidersFailedError(attempts, "the deadline passed before any attempt")
        return AllProvidersFailedError(attempts)

    # -------------------------------------------------------------- results

    def result_of(self, run: Run, response: Response, tickets: list[Ticket]) -> RouteResult:
        """The :class:`RouteResult` of a finished route."""
        result = RouteResult(
            text=response.text,
            provider=response.provider,
            model=response.model,
            cost=usd(sum(t.cost_fd for t in tickets)),
            latency_ms=round((self._layers.clock() - run.started) * 1000.0, 3),
            usage=response.usage,
            decision=run.decision,
            attempts=tuple(run.attempts),
            finish_reason=response.finish_reason,
            tool_calls=response.tool_calls,
            response=response,
            trace_id=run.ctx.trace_id,
            complexity=run.complexity,
            tags=run.ctx.tags,
        )
        self._log_route(result)
        return result

    def learn_from(self, result: RouteResult, args: RouteArgs) -> None:
        """Feed the answer's own quality signals (refusal, truncation, bad JSON) back."""
        signal = quality_signal(result, args)
        if signal is not None:
            score, weight = signal
            self.learner.update(result.key, result.complexity, score, weight)

    def _log_route(self, result: RouteResult) -> None:
        if self.logger is None:
            return
        for a in result.attempts:
            self.logger.info(
                "router.attempt", trace_id=result.trace_id, provider=a.provider, model=a.model,
                outcome=a.outcome, category=a.category, latency_ms=a.latency_ms, cost=str(a.cost),
            )  # fmt: skip
        self.logger.info(
            "router.route", trace_id=result.trace_id, provider=result.provider,
            model=result.model, cost=str(result.cost), latency_ms=result.latency_ms,
            input_tokens=result.usage.prompt_tokens, output_tokens=result.usage.completion_tokens,
            attempts=len(result.attempts), cached=result.cached,
        )  # fmt: skip

    def _cache_key(self, request: Request, args: RouteArgs) -> str | None:
        if self._cache is None:
            return None
        constraints = (args.complexity, args.required_quality, args.max_latency_ms,
                       str(args.max_cost_usd), args.user, args.tags)  # fmt: skip
        return self._cache.key(request, constraints)

    def _cache_get(self, key: str) -> RouteResult | None:
        assert self._cache is not None
        hit: RouteResult | None = self._cache.get(key)
        if hit is None:
            return None
        return replace(hit, cached=True, cost=Decimal(0), latency_ms=0.0, attempts=())

    # ------------------------------------------------------ public helpers

    def feedback(self, result: RouteResult, score: float) -> None:
        """Tell the router how good an answer was (``score`` in [0, 1]); routing adapts.

        With a learning store, the evidence is written to it in the background
        (``await router.afeedback(...)`` waits for the write).
        """
        self.learner.update(result.key, result.complexity, score)
        if self.learner.dirty:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                return
            task = loop.create_task(self.learner.sync())
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def afeedback(self, result: RouteResult, score: float) -> None:
        """:meth:`feedback`, then write the evidence to the learning store (if any)."""
        self.learner.update(result.key, result.complexity, score)
        await self.learner.sync()

    def stats(self) -> dict[str, dict[str, Any]]:
        """Per ``provider/model``: calls, errors by category, p50/p95 latency, TTFT, cost."""
        out: dict[str, dict[str, Any]] = {}
        states = self._layers.breakers.states()
        for key in sorted(self._layers.stats):
            summary = self._layers.stats[key].summary()
            summary["circuit"] = states.get(key, "closed")
            out[key] = summary
        return out

    def describe(self) -> str:
        """What the router uses and why, in the style of ``powertools doctor``."""
        from powertools.router._describe import describe

        return describe(self)

    def route_sync(self, task: str | None = None, **options: Any) -> RouteResult:
        """:meth:`route` for scripts without an event loop (not inside ``async`` code)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise ConfigurationError(
                "route_sync() was called inside a running event loop: use 'await router.route(...)'"
            )
        if self._runner is None:
            self._runner = asyncio.Runner()  # one loop for every sync call: clients stay valid
        return self._runner.run(self.route(task, **options))

    def route_stream(self, task: str | None = None, **options: Any) -> Any:
        """Stream a routed answer: ``async for text in router.route_stream(...)``.

        The stream fails over to the next candidate only before its first token reached
        you; after that a failure raises ``StreamInterruptedError`` with ``partial_text``.
        The finished :class:`RouteResult` is the stream's ``result`` attribute.
        """
        from powertools.router._stream import RouteStream

        return RouteStream(self, task, options)

    async def aclose(self) -> None:
        """Close every provider's connections and flush the learning store."""
        if self.learner.dirty:
            await self.learner.sync()
        for provider in self._layers.providers.values():
            await provider.aclose()

    def close(self) -> None:
        """:meth:`aclose` for the sync API."""
        if self._runner is not None:
            self._runner.run(self.aclose())
            self._runner.close()
            self._runner = None

    async def __aenter__(self) -> LLMRouter:
        await self._ready()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _answer_of(result: RouteResult) -> dict[str, Any]:
    """What the shared cache keeps of an answer (JSON)."""
    return {
        "text": result.text,
        "provider": result.provider,
        "model": result.model,
        "usage": result.usage.as_dict(),
        "finish_reason": result.finish_reason.value,
        "tool_calls": [[c.id, c.name, c.arguments] for c in result.tool_calls],
    }


def _wanted_local(model: str, wanted: tuple[str, ...]) -> bool:
    return any(model == name or model.startswith((name + "-", name + ":")) for name in wanted)

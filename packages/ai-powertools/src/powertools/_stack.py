"""``powertools.Stack``: the six components built from one configuration, around one call.

Each component contributes a ``build(options, parts)`` hook through its
``powertools.components`` entry point (see :mod:`powertools._components`); the stack calls
them in dependency order, so the router is built with the logger, the cost tracker, the
limiter and the retry policy the others made. ``Stack.route`` is the call lifecycle of the
design: the application's rate limit, the router (decision, the budget's worst-case hold and
commit, breakers, retries, failover), the call's record in the cost tracker's ledger, the
session, and a structured event for each step, all under one trace id.

>>> stack = Stack.from_config(overrides={"cost": {"budget_usd_per_month": 5}}, cwd=None)
>>> stack.cost.get_daily_report().remaining
Decimal('5')
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from powertools._components import Discovery, Failure, discover
from powertools._config import StackConfig, StackConfigError, load_config, schema_of

if TYPE_CHECKING:
    from powertools.cost import CostTracker
    from powertools.logging import StructuredLogger
    from powertools.ratelimit import RateLimiter
    from powertools.session import Session

__all__ = ["Stack", "StackStats"]


@dataclass(slots=True)
class StackStats:
    """What ``Stack.route`` has seen since the stack was built."""

    routes: int = 0
    errors: int = 0
    rate_limit_wait_s: float = 0.0
    errors_by_type: dict[str, int] = field(default_factory=dict)


_FD_PER_USD = 10**15  # the cost ledger counts femto-dollars (powertools.cost.usd is the inverse)


def _record(
    tracker: Any, task: str, user: str | None, kwargs: Mapping[str, Any], result: Any
) -> Any:
    """The route as one priced call, at the cost the router reported (local models cost $0)."""
    from powertools.cost import CallRecord

    tags = tuple(kwargs.get("tags") or ())
    span_id = tracker.track_call(task, result.model, user=user, tags=tags).id
    cost_fd = int(Decimal(result.cost) * _FD_PER_USD)
    return CallRecord(
        span_id, span_id, tracker.clock(), task, result.model, user, tags, result.usage, cost_fd
    )


def _in_span_of(tracker: Any) -> bool:
    """Whether the caller's open cost span belongs to ``tracker`` (the router reports into it)."""
    from powertools.cost import current_span

    span = current_span()
    return span is not None and span.tracker is tracker


def _order(discovery: Discovery) -> list[str]:
    """Component names so that each comes after the ones in its ``AFTER``."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in seen or name not in discovery.components:
            return
        if name in path:
            raise StackConfigError(
                f"components {' -> '.join((*path, name))} depend on each other in a cycle",
                key=name,
            )
        for before in discovery.components[name].after:
            visit(before, (*path, name))
        seen.add(name)
        done.append(name)

    for name in sorted(discovery.components):
        visit(name, ())
    return done


class Stack:
    """The built parts, by component name, and the call that goes through all of them.

    Parts are reachable by name (``stack["cost"]``) and, for the six components, as
    attributes: ``router``, ``cost``, ``ratelimit``, ``retry``, ``logger``, ``session``.
    """

    def __init__(
        self,
        parts: Mapping[str, Any],
        *,
        config: StackConfig | None = None,
        failures: tuple[Failure, ...] = (),
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.parts = dict(parts)
        self.config = config or StackConfig()
        self.failures = failures
        self.stats = StackStats()
        self._clock = clock
        own = self.config.options.get("stack", {})
        self.history_limit = int(own.get("history_limit", 1000) or 0)
        self._history: int | None = None  # entries in the session's history, once counted

    @classmethod
    def from_config(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        cwd: str | os.PathLike[str] | None = ".",
        discovery: Discovery | None = None,
        objects: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Stack:
        """Build every installed component from the configuration (see ``powertools._config``).

        ``objects`` adds what a file cannot hold to a component's options (``{"router":
        {"providers": [...]}}``). Raises :class:`StackConfigError` naming the bad key; a
        component whose entry point failed to load is left out and listed in :attr:`failures`.
        """
        found = discovery or discover()
        schema = schema_of(found)
        failed = {f.name: f.line() for f in found.failures}
        config = load_config(
            schema, path=path, env=env, overrides=overrides, cwd=cwd, failed=failed
        )
        parts: dict[str, Any] = {}
        for name in _order(found):
            build = found.components[name].build
            if build is None:
                continue
            try:
                options = {**config.options[name], **(objects or {}).get(name, {})}
                parts[name] = build(options, dict(parts))
            except StackConfigError:
                raise
            except Exception as exc:  # each component has its own error classes
                raise StackConfigError(
                    f"[{name}] could not be built: {exc}",
                    key=name,
                ) from exc
        return cls(parts, config=config, failures=tuple(found.failures))

    def __getitem__(self, name: str) -> Any:
        try:
            return self.parts[name]
        except KeyError:
            raise KeyError(
                f"this stack has no {name!r} part (it has {', '.join(sorted(self.parts))}); "
                f"install powertools-{name}"
            ) from None

    @property
    def router(self) -> Any:
        """The ``LLMRouter``."""
        return self["router"]

    @property
    def cost(self) -> CostTracker:
        """The ``CostTracker`` holding the monthly budget."""
        tracker: CostTracker = self["cost"]
        return tracker

    @property
    def ratelimit(self) -> RateLimiter:
        """The application-wide ``RateLimiter``."""
        limiter: RateLimiter = self["ratelimit"]
        return limiter

    @property
    def retry(self) -> Any:
        """The retry policy and its circuit breakers (``powertools.retry._stack.RetryPolicy``)."""
        return self["retry"]

    @property
    def logger(self) -> StructuredLogger:
        """The ``StructuredLogger`` that every layer's events land in."""
        logger: StructuredLogger = self["logging"]
        return logger

    @property
    def session(self) -> Session:
        """The ``Session`` that keeps each routed exchange."""
        session: Session = self["session"]
        return session

    @contextlib.contextmanager
    def _trace(self, trace_id: str) -> Iterator[None]:
        if "logging" not in self.parts:
            yield
            return
        from powertools.logging import context

        with context(trace_id=trace_id):
            yield

    def _log(self, event: str, **fields: Any) -> None:
        logger = self.parts.get("logging")
        if logger is not None:
            logger.info(event, **fields)

    @contextlib.asynccontextmanager
    async def _admit(self, priority: str, user: str | None, tokens: int) -> AsyncIterator[Any]:
        """Hold the application's rate-limit capacity (and concurrency slot) around the call."""
        limiter = self.parts.get("ratelimit")
        if limiter is None:
            yield None
            return
        started = self._clock()
        async with limiter.acquire(tokens, priority=priority, tenant=user) as reservation:
            waited = self._clock() - started
            self.stats.rate_limit_wait_s += waited
            self._log("stack.ratelimit", priority=priority, waited_s=round(waited, 6))
            yield reservation

    def _remember(self, trace_id: str, task: str | None, result: Any) -> None:
        session = self.parts.get("session")
        if session is None or self.history_limit <= 0:
            return
        entry = {
            "trace_id": trace_id,
            "task": (task or "")[:200],
            "provider": getattr(result, "provider", None),
            "model": getattr(result, "model", None),
            "text": str(getattr(result, "text", ""))[:200],
            "cost": str(getattr(result, "cost", "")),
        }
        if self._history is None:
            self._history = len(session.get("history") or [])
        session.append("history", entry)
        self._history += 1
        if self._history >= 2 * self.history_limit:  # trim now and then: O(1) per route
            session.set("history", (session.get("history") or [])[-self.history_limit :])
            self._history = self.history_limit
        self._log("stack.session", session=session.name, version=session.version)

    async def route(
        self,
        task: str | None = None,
        *,
        task_name: str = "route",
        user: str | None = None,
        priority: str = "normal",
        trace_id: str | None = None,
        **kwargs: Any,
    ) -> Any:
        """Route one task through every layer; the keywords are ``LLMRouter.route``'s.

        Returns the router's result. Every event of the call (this stack's, the router's
        attempts, the budget's) carries one ``trace_id``.
        """
        trace = trace_id or uuid.uuid4().hex
        with self._trace(trace):
            self._log("stack.route.start", task_name=task_name, user=user, priority=priority)
            try:
                # the estimate the token limits are held against, settled to the real usage
                estimate = len(task or "") // 4 + int(kwargs.get("max_tokens") or 0)
                async with self._admit(priority, user, estimate) as reservation:
                    result = await self._call(task, task_name, user, priority, kwargs)
                    if reservation is not None and getattr(result, "usage", None) is not None:
                        await reservation.asettle(result.usage.total_tokens)
            except Exception as exc:
                self.stats.errors += 1
                kind = type(exc).__name__
                self.stats.errors_by_type[kind] = self.stats.errors_by_type.get(kind, 0) + 1
                self._log("stack.route.error", error=kind, message=str(exc)[:300])
                raise
            self.stats.routes += 1
            self._remember(trace, task, result)
            self._log(
                "stack.route.done",
                provider=getattr(result, "provider", None),
                model=getattr(result, "model", None),
                cost=str(getattr(result, "cost", "")),
            )
            return result

    async def _call(
        self,
        task: str | None,
        task_name: str,
        user: str | None,
        priority: str,
        kwargs: dict[str, Any],
    ) -> Any:
        result = await self.router.route(task=task, user=user, priority=priority, **kwargs)
        tracker = self.parts.get("cost")
        usage = getattr(result, "usage", None)
        if tracker is not None and usage is not None and not _in_span_of(tracker):
            # The router already spent this against the budget (its attempts hold and commit
            # their cost there); here the call joins the tracker's records and its ledger, for
            # reports and forecasts, without being spent twice.
            await tracker.keep([_record(tracker, task_name, user, kwargs, result)])
            self._log("stack.cost", model=result.model, cost=str(result.cost))
        return result

    def route_sync(self, task: str | None = None, **kwargs: Any) -> Any:
        """:meth:`route` for scripts without an event loop."""
        return asyncio.run(self.route(task, **kwargs))

    def close(self) -> None:
        """Flush the logger and close the session (the parts that hold resources)."""
        for name in ("router", "session", "logging"):
            part = self.parts.get(name)
            closer = getattr(part, "close", None)
            if closer is not None:
                closer()

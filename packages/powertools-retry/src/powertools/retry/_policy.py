"""The retry policy: when to try again, how long to wait, and what every attempt reports."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from contextvars import Token
from dataclasses import dataclass
from typing import Any, TypedDict

from powertools.retry import testing
from powertools.retry._budget import RetryBudget, named_budget
from powertools.retry._classify import Classifier, ErrorCategory, default_classifier
from powertools.retry._deadline import DEADLINE, release, tighten
from powertools.retry._fallback import MISSING, Escalation, FallbackChain
from powertools.retry._retry_after import retry_after
from powertools.retry._strategies import Jitter, Strategy, WaitSchedule
from powertools.retry._translate import give_up_error
from powertools.retry.errors import RetryConfigError

__all__ = ["MAX_SERVER_WAIT", "ErrorFilter", "RetryEvent", "RetryOptions", "RetryPolicy"]

MAX_SERVER_WAIT = 60.0
"""Seconds of ``Retry-After`` waited out even above ``max_delay``; a retry asked to wait longer
gives up at once, raising the rate-limit error with its ``retry_after`` (go elsewhere, or
come back then)."""

ErrorFilter = (
    type[BaseException]
    | ErrorCategory
    | tuple[type[BaseException] | ErrorCategory, ...]
    | Callable[[BaseException], bool]
)
"""Which errors: exception types, error categories (mixed in a tuple), or a predicate."""

Matcher = Callable[[BaseException, ErrorCategory], bool]


@dataclass(slots=True, frozen=True)
class RetryEvent:
    """What a hook receives: which attempt, the wait before the next one, and why."""

    name: str
    attempt: int
    wait: float
    elapsed: float
    error: BaseException | None
    category: ErrorCategory | None


Hook = Callable[[RetryEvent], object]


def _predicate(name: str, spec: ErrorFilter | None) -> Matcher | None:
    if spec is None:
        return None
    if isinstance(spec, type | ErrorCategory | tuple):
        items = spec if isinstance(spec, tuple) else (spec,)
        categories = frozenset(i for i in items if isinstance(i, ErrorCategory))
        types = tuple(i for i in items if isinstance(i, type) and issubclass(i, BaseException))
        if len(categories) + len(types) != len(items):
            raise RetryConfigError(
                f"{name}={spec!r} must hold exception types or ErrorCategory members"
            )
        return lambda exc, category: category in categories or isinstance(exc, types)
    if callable(spec):
        check = spec
        return lambda exc, _category: check(exc)
    raise RetryConfigError(
        f"{name}={spec!r} must be exception types, ErrorCategory members "
        "or a callable (exc) -> bool"
    )


def _budget(spec: RetryBudget | str | None) -> RetryBudget | None:
    return named_budget(spec) if isinstance(spec, str) else spec


class RetryOptions(TypedDict, total=False):
    """The keyword options of ``retry`` and ``retrying`` (see :class:`RetryPolicy`), typed."""

    max_attempts: int
    strategy: Strategy
    base_delay: float
    max_delay: float
    jitter: Jitter
    deadline: float | None
    retry_on: ErrorFilter | None
    give_up_on: ErrorFilter | None
    classifier: Classifier | None
    fallback_value: Any
    fallback: Callable[..., Any] | Sequence[Callable[..., Any]] | None
    on_escalate: Escalation | None
    on_retry: Hook | None
    on_give_up: Hook | None
    on_success: Hook | None
    budget: RetryBudget | str | None
    name: str
    clock: Callable[[], float]
    rng: Callable[[], float]
    sleep: Callable[[float], None]
    asleep: Callable[[float], Any]


class RetryPolicy:
    """Every option of one ``retry`` decorator or ``retrying`` loop, validated once."""

    __slots__ = (
        "asleep", "budget", "classifier", "clock", "deadline", "fallback", "give_up_on",
        "max_attempts", "name", "on_give_up", "on_retry", "on_success", "retry_on", "schedule",
        "server_cap", "sleep",
    )  # fmt: skip

    def __init__(
        self,
        *,
        max_attempts: int = 3,
        strategy: Strategy = "exponential_backoff",
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        jitter: Jitter = True,
        deadline: float | None = None,
        retry_on: ErrorFilter | None = None,
        give_up_on: ErrorFilter | None = None,
        classifier: Classifier | None = None,
        fallback_value: Any = MISSING,
        fallback: Callable[..., Any] | Sequence[Callable[..., Any]] | None = None,
        on_escalate: Escalation | None = None,
        on_retry: Hook | None = None,
        on_give_up: Hook | None = None,
        on_success: Hook | None = None,
        budget: RetryBudget | str | None = None,
        name: str = "",
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        sleep: Callable[[float], None] = time.sleep,
        asleep: Callable[[float], Any] = asyncio.sleep,
    ) -> None:
        if not isinstance(max_attempts, int) or isinstance(max_attempts, bool) or max_attempts < 1:
            raise RetryConfigError(f"max_attempts={max_attempts!r} must be an integer >= 1")
        if deadline is not None and not deadline >= 0:
            raise RetryConfigError(f"deadline={deadline!r} must be seconds >= 0, or None")
        self.max_attempts = max_attempts
        self.schedule = WaitSchedule(
            strategy, base_delay=base_delay, max_delay=max_delay, jitter=jitter, rng=rng
        )
        self.server_cap = max(self.schedule.max_delay, MAX_SERVER_WAIT)
        self.deadline = deadline
        self.retry_on = _predicate("retry_on", retry_on)
        self.give_up_on = _predicate("give_up_on", give_up_on)
        self.classifier = classifier or default_classifier
        self.fallback = FallbackChain.build(fallback, fallback_value, on_escalate)
        self.on_retry, self.on_give_up, self.on_success = on_retry, on_give_up, on_success
        self.budget = _budget(budget)
        self.name = name
        self.clock, self.sleep, self.asleep = clock, sleep, asleep

    @property
    def needs_setup(self) -> bool:
        """Whether a call needs more than the bare fast path: a deadline, a budget, or a hook
        (hooks report the time elapsed since the first attempt began, so that is read first).
        """
        hooks = (self.on_retry, self.on_give_up, self.on_success)
        return self.deadline is not None or self.budget is not None or hooks != (None,) * 3

    def should_retry(self, exc: BaseException, category: ErrorCategory) -> bool:
        """Permanent errors and ``give_up_on``: never; then ``retry_on``; else any error but an
        open circuit (which means "go elsewhere now")."""
        if category is ErrorCategory.PERMANENT:
            return False
        if self.give_up_on is not None and self.give_up_on(exc, category):
            return False
        if self.retry_on is not None:
            return self.retry_on(exc, category)
        return category is not ErrorCategory.CIRCUIT_OPEN

    def start(self, start: float) -> CallState:
        """The state of one call whose first attempt began at ``start`` (the bare fast path)."""
        return CallState(self, start)

    def begin(self) -> CallState:
        """The state of one call beginning now: its deadline set and its budget charged.

        End it with :meth:`CallState.end`.
        """
        start = self.clock()
        token = None if self.deadline is None else tighten(start + self.deadline)
        if self.budget is not None:
            self.budget.record_call()
        call = CallState(self, start)
        call.token = token
        return call


class CallState:
    """One call's attempts: decides each retry, fires the hooks, and names the error to raise.

    The sync and async shells (``retry``'s wrappers, ``retrying``) only call the function,
    sleep the wait this returns, and raise :attr:`error` when it returns ``None``.
    """

    __slots__ = ("attempt", "category", "error", "limit", "plan", "policy", "start", "token")

    def __init__(self, policy: RetryPolicy, start: float) -> None:
        self.policy = policy
        self.start = start
        self.attempt = 1
        self.category: ErrorCategory | None = None
        self.error: BaseException | None = None
        self.token: Token[float | None] | None = None
        self.plan = policy.schedule.plan()
        own = None if policy.deadline is None else start + policy.deadline
        outer = DEADLINE.get()
        self.limit = own if outer is None else outer if own is None else min(own, outer)

    def end(self) -> None:
        """Undo what :meth:`RetryPolicy.begin` set up (the deadline)."""
        if self.token is not None:
            release(self.token)
            self.token = None

    def _event(self, error: BaseException | None, wait: float) -> RetryEvent:
        elapsed = self.policy.clock() - self.start
        return RetryEvent(self.policy.name, self.attempt, wait, elapsed, error, self.category)

    def _attempts_allowed(self) -> int:
        cap = testing.MODE.attempts if testing.MODE.enabled else None
        return self.policy.max_attempts if cap is None else min(cap, self.policy.max_attempts)

    def _wait(self, server: float | None) -> float | None:
        """The wait before the next attempt: the server's, else the strategy's; ``None`` when
        the server asked for longer than the policy waits (never retry early against it)."""
        if server is not None and server > self.policy.server_cap:
            return None
        if testing.MODE.enabled:
            return 0.0
        return self.plan.next(self.attempt) if server is None else server

    def _crosses_deadline(self, wait: float, server: float | None) -> bool:
        # The server's wait counts even in testing mode, where the sleep itself is zero.
        longest = wait if server is None else max(wait, server)
        return self.limit is not None and self.policy.clock() + longest > self.limit

    def _allowed_wait(
        self, exc: BaseException, category: ErrorCategory, server: float | None
    ) -> float | None:
        policy = self.policy
        if self.attempt >= self._attempts_allowed() or not policy.should_retry(exc, category):
            return None
        wait = self._wait(server)
        if wait is None or self._crosses_deadline(wait, server):
            return None  # a sleep past the deadline is never started
        if policy.budget is not None and not policy.budget.try_spend():
            return None
        return wait

    def next_wait(self, exc: BaseException) -> float | None:
        """The wait before the next attempt after ``exc``, or ``None`` to give up (then raise
        or fall back on :attr:`error`)."""
        self.category = category = self.policy.classifier.classify(exc)
        server = retry_after(exc)
        wait = self._allowed_wait(exc, category, server)
        if wait is None:
            self.give_up(exc, server)
            return None
        if self.policy.on_retry is not None:
            self.policy.on_retry(self._event(exc, wait))
        self.attempt += 1
        return wait

    def give_up(self, exc: BaseException, server: float | None) -> None:
        """Name the error to raise (:attr:`error`) and fire ``on_give_up``."""
        category = self.category or self.policy.classifier.classify(exc)
        self.error = give_up_error(exc, category, server, self.attempt)
        if self.policy.on_give_up is not None:
            self.policy.on_give_up(self._event(exc, 0.0))

    def succeeded(self) -> None:
        """Fire ``on_success``."""
        if self.policy.on_success is not None:
            self.policy.on_success(self._event(None, 0.0))

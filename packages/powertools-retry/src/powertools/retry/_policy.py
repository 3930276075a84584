"""The retry policy: when to try again, how long to wait, and what every attempt reports."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

from powertools.retry import testing
from powertools.retry._budget import RetryBudget, named_budget
from powertools.retry._classify import Classifier, ErrorCategory, default_classifier
from powertools.retry._deadline import DEADLINE
from powertools.retry._fallback import MISSING, Escalation, FallbackChain
from powertools.retry._retry_after import retry_after
from powertools.retry._strategies import Jitter, Strategy, WaitSchedule
from powertools.retry.errors import RetryConfigError

__all__ = ["MAX_SERVER_WAIT", "ErrorFilter", "RetryEvent", "RetryOptions", "RetryPolicy"]

MAX_SERVER_WAIT = 60.0
"""Seconds of ``Retry-After`` honoured even above ``max_delay``; longer asks are not trusted."""

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
        "sleep",
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
        """Permanent errors and ``give_up_on``: never; then ``retry_on``; else any other error."""
        if category is ErrorCategory.PERMANENT:
            return False
        if self.give_up_on is not None and self.give_up_on(exc, category):
            return False
        if self.retry_on is not None:
            return self.retry_on(exc, category)
        return True

    def start(self, start: float) -> CallState:
        """The state of one call whose first attempt began at ``start``."""
        return CallState(self, start)


class CallState:
    """One call's attempts: decides each retry and fires the hooks."""

    __slots__ = ("attempt", "category", "limit", "plan", "policy", "start", "wait")

    def __init__(self, policy: RetryPolicy, start: float) -> None:
        self.policy = policy
        self.start = start
        self.attempt = 1
        self.wait = 0.0
        self.category: ErrorCategory | None = None
        self.plan = policy.schedule.plan()
        own = None if policy.deadline is None else start + policy.deadline
        outer = DEADLINE.get()
        self.limit = own if outer is None else outer if own is None else min(own, outer)

    def _event(self, error: BaseException | None, wait: float) -> RetryEvent:
        elapsed = self.policy.clock() - self.start
        return RetryEvent(self.policy.name, self.attempt, wait, elapsed, error, self.category)

    def _attempts_allowed(self) -> int:
        cap = testing.MODE.attempts if testing.MODE.enabled else None
        return self.policy.max_attempts if cap is None else min(cap, self.policy.max_attempts)

    def _planned_wait(self, exc: BaseException) -> float:
        if testing.MODE.enabled:
            return 0.0
        planned = self.plan.next(self.attempt)
        server = retry_after(exc)
        # Like the OpenAI SDK: honour the server's wait unless it is absurd (a misread header,
        # an hour-long reset); then the strategy's own wait applies.
        if server is None or server > max(self.policy.schedule.max_delay, MAX_SERVER_WAIT):
            return planned
        return server

    def next_wait(self, exc: BaseException) -> float | None:
        """The wait before the next attempt after ``exc``, or ``None`` to give up."""
        policy = self.policy
        self.category = policy.classifier.classify(exc)
        if self.attempt >= self._attempts_allowed() or not policy.should_retry(exc, self.category):
            return self.give_up(exc)
        wait = self._planned_wait(exc)
        if self.limit is not None and policy.clock() + wait > self.limit:
            return self.give_up(exc)  # the sleep would cross the deadline: never start it
        if policy.budget is not None and not policy.budget.try_spend():
            return self.give_up(exc)
        if policy.on_retry is not None:
            policy.on_retry(self._event(exc, wait))
        self.attempt += 1
        self.wait = wait
        return wait

    def give_up(self, exc: BaseException) -> float | None:
        """Fire ``on_give_up``; the caller then falls back or re-raises."""
        if self.policy.on_give_up is not None:
            self.policy.on_give_up(self._event(exc, 0.0))
        return None

    def succeeded(self) -> None:
        """Fire ``on_success``."""
        if self.policy.on_success is not None:
            self.policy.on_success(self._event(None, 0.0))

"""The retry decorator and loop: attempts, waits, hooks, deadlines, fallbacks, BaseExceptions."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from powertools.retry import (
    CircuitBreaker,
    CircuitOpenError,
    ErrorCategory,
    ErrorHandler,
    PermanentError,
    RateLimitError,
    RetryBudget,
    RetryConfigError,
    RetryEvent,
    TimeoutError,
    TransientError,
    classify,
    deadline,
    remaining_deadline,
    retry,
    retrying,
)
from powertools.retry.testing import FakeClock, is_testing, set_testing


class Flaky:
    """Fails with the given errors in order, then returns ``"ok"``."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def no_wait(**options: Any) -> Any:
    clock = FakeClock()
    return retry(clock=clock, sleep=clock.sleep, asleep=clock.asleep, **options), clock


def test_sync_retries_transient_errors_until_success() -> None:
    flaky = Flaky(ConnectionError(), TransientError("x"))
    decorate, clock = no_wait(max_attempts=3, jitter=False, base_delay=1)
    assert decorate(flaky)() == "ok"
    assert flaky.calls == 3
    assert clock.sleeps == [1.0, 2.0]


async def test_async_retries_transient_errors_until_success() -> None:
    flaky = Flaky(ConnectionError(), ConnectionError())

    decorate, clock = no_wait(max_attempts=3, strategy="linear", jitter=False, base_delay=2)

    @decorate
    async def call() -> str:
        return flaky()

    assert await call() == "ok"
    assert clock.sleeps == [2.0, 4.0]


def test_exhausted_attempts_re_raise_the_last_error() -> None:
    last = ConnectionError("third")
    flaky = Flaky(ConnectionError("1"), ConnectionError("2"), last)
    decorate, _ = no_wait(max_attempts=3)
    with pytest.raises(ConnectionError) as info:
        decorate(flaky)()
    assert info.value is last


@pytest.mark.parametrize("error", [PermanentError("no"), ValueError("bad")])
def test_permanent_and_give_up_on_errors_are_attempted_once(error: Exception) -> None:
    flaky = Flaky(error)
    decorate, _ = no_wait(max_attempts=5, give_up_on=ValueError)
    with pytest.raises(type(error)):
        decorate(flaky)()
    assert flaky.calls == 1


def test_retry_on_limits_what_is_retried() -> None:
    flaky = Flaky(KeyError("k"))
    decorate, _ = no_wait(max_attempts=5, retry_on=(ConnectionError,))
    with pytest.raises(KeyError):
        decorate(flaky)()
    assert flaky.calls == 1
    flaky = Flaky(ConnectionError(), KeyError("k"))
    decorate, _ = no_wait(max_attempts=5, retry_on=lambda exc: isinstance(exc, ConnectionError))
    with pytest.raises(KeyError):
        decorate(flaky)()
    assert flaky.calls == 2


def test_retry_after_sets_the_next_wait() -> None:
    flaky = Flaky(RateLimitError(retry_after=7.5))
    decorate, clock = no_wait(max_attempts=2, base_delay=0.1)
    assert decorate(flaky)() == "ok"
    assert clock.sleeps == [7.5]


def test_hooks_receive_attempt_wait_elapsed_and_category() -> None:
    events: list[tuple[str, RetryEvent]] = []
    decorate, _ = no_wait(
        max_attempts=2,
        jitter=False,
        base_delay=1,
        on_retry=lambda e: events.append(("retry", e)),
        on_give_up=lambda e: events.append(("give_up", e)),
        on_success=lambda e: events.append(("success", e)),
        name="llm",
    )
    decorate(Flaky(RateLimitError(retry_after=3)))()
    with pytest.raises(PermanentError):
        decorate(Flaky(PermanentError("x")))()
    kinds = [(k, e.attempt, e.wait, e.category) for k, e in events]
    assert kinds == [
        ("retry", 1, 3.0, ErrorCategory.RATE_LIMIT),
        ("success", 2, 0.0, ErrorCategory.RATE_LIMIT),
        ("give_up", 1, 0.0, ErrorCategory.PERMANENT),
    ]
    assert events[1][1].elapsed == 3.0
    assert events[0][1].name == "llm"


def test_success_hook_fires_on_a_first_time_success() -> None:
    seen: list[RetryEvent] = []
    decorate, _ = no_wait(on_success=seen.append)
    assert decorate(Flaky())() == "ok"
    assert [e.attempt for e in seen] == [1]


def test_a_sleep_that_would_cross_the_deadline_is_never_started() -> None:
    flaky = Flaky(*[ConnectionError()] * 10)
    decorate, clock = no_wait(max_attempts=10, jitter=False, base_delay=1, deadline=6)
    with pytest.raises(ConnectionError):
        decorate(flaky)()
    assert clock.sleeps == [1.0, 2.0]  # 1 + 2 + 4 would end at 7 > 6
    assert flaky.calls == 3


def test_nested_retries_share_the_outer_deadline() -> None:
    clock = FakeClock()
    inner_calls = 0
    common = {"clock": clock, "sleep": clock.sleep, "jitter": False, "strategy": "constant"}

    @retry(max_attempts=100, base_delay=1, **common)
    def inner() -> None:
        nonlocal inner_calls
        inner_calls += 1
        raise ConnectionError

    @retry(max_attempts=100, base_delay=1, deadline=5, **common)
    def outer() -> None:
        assert remaining_deadline(clock=clock) is not None
        inner()

    with pytest.raises(ConnectionError):
        outer()
    assert clock.now <= 5
    assert inner_calls <= 6
    assert remaining_deadline() is None


def test_deadline_context_manager_bounds_a_retry_without_its_own() -> None:
    flaky = Flaky(*[ConnectionError()] * 10)
    decorate, clock = no_wait(max_attempts=10, jitter=False, base_delay=1, strategy="constant")
    with deadline(2.5, clock=clock), pytest.raises(ConnectionError):
        decorate(flaky)()
    assert clock.sleeps == [1.0, 1.0]
    with pytest.raises(RetryConfigError), deadline(-1):
        pass


def test_fallback_value_function_and_chain() -> None:
    decorate, _ = no_wait(max_attempts=2, fallback_value="sorry")
    assert decorate(Flaky(*[ConnectionError()] * 2))() == "sorry"

    def broken(prompt: str) -> str:
        raise ConnectionError(prompt)

    def cheap(prompt: str) -> str:
        return f"cheap {prompt}"

    decorate, _ = no_wait(max_attempts=1, fallback=[broken, cheap])
    assert decorate(broken)("hi") == "cheap hi"


def test_escalation_hook_runs_when_everything_failed() -> None:
    escalated: list[BaseException] = []
    error = ConnectionError("down")
    decorate, _ = no_wait(max_attempts=1, fallback=Flaky(KeyError()), on_escalate=escalated.append)
    with pytest.raises(ConnectionError):
        decorate(Flaky(error))()
    assert escalated == [error]


async def test_async_fallbacks_are_awaited() -> None:
    async def cheap() -> str:
        return "cheap"

    async def down() -> str:
        raise ConnectionError

    decorate, _ = no_wait(max_attempts=2, fallback=[down, cheap])
    assert await decorate(down)() == "cheap"
    decorate, _ = no_wait(max_attempts=1)
    with pytest.raises(ConnectionError):
        await decorate(down)()


@pytest.mark.parametrize("error", [KeyboardInterrupt(), SystemExit(1)])
def test_base_exceptions_are_never_caught(error: BaseException) -> None:
    flaky = Flaky(error)
    decorate, _ = no_wait(max_attempts=5, fallback_value="never")
    with pytest.raises(type(error)):
        decorate(flaky)()
    assert flaky.calls == 1


async def test_cancellation_is_never_caught() -> None:
    attempts = 0
    decorate, _ = no_wait(max_attempts=5, fallback_value="never")

    @decorate
    async def slow() -> None:
        nonlocal attempts
        attempts += 1
        await asyncio.Event().wait()

    task = asyncio.create_task(slow())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert attempts == 1


def test_bare_decorator_and_error_handler_retry_are_the_same() -> None:
    assert ErrorHandler.retry is retry

    @retry
    def ok() -> int:
        return 1

    assert ok() == 1
    assert ok.__name__ == "ok"
    with pytest.raises(TypeError):
        ErrorHandler()


@pytest.mark.parametrize(
    "options",
    [
        {"max_attempts": 0},
        {"max_attempts": True},
        {"deadline": -1},
        {"base_delay": -1},
        {"base_delay": 10, "max_delay": 1},
        {"strategy": "quadratic"},
        {"strategy": 3},
        {"jitter": "sometimes"},
        {"retry_on": (int,)},
        {"give_up_on": 5},
        {"fallback": [1]},
    ],
)
def test_bad_options_fail_early_with_a_clear_error(options: dict[str, Any]) -> None:
    with pytest.raises(RetryConfigError):
        retry(**options)


def test_decorating_a_non_callable_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        retry(max_attempts=2)(42)  # type: ignore[arg-type]


def test_testing_mode_zeroes_waits_and_can_cap_attempts() -> None:
    flaky = Flaky(*[ConnectionError()] * 10)
    slept: list[float] = []
    decorated = retry(max_attempts=4, base_delay=5, sleep=slept.append)(flaky)
    with set_testing(True):
        assert is_testing()
        with pytest.raises(ConnectionError):
            decorated()
    assert not is_testing()
    assert flaky.calls == 4
    assert slept == []
    with set_testing(True, attempts=2), pytest.raises(ConnectionError):
        decorated()
    assert flaky.calls == 6
    with pytest.raises(RetryConfigError):
        set_testing(True, attempts=0)


def test_retry_budget_stops_retries_once_spent() -> None:
    clock = FakeClock()
    budget = RetryBudget(ratio=0.0, min_retries=1, clock=clock)
    flaky = Flaky(*[ConnectionError()] * 10)
    decorated = retry(max_attempts=5, budget=budget, clock=clock, sleep=clock.sleep)(flaky)
    with pytest.raises(ConnectionError):
        decorated()
    assert flaky.calls == 2  # one retry allowed by the floor, then the budget is spent
    named = retry(max_attempts=2, budget="shared-test", sleep=clock.sleep)(Flaky())
    assert named() == "ok"


def test_retrying_loop_sync() -> None:
    clock = FakeClock()
    seen = []
    for attempt in retrying(max_attempts=3, jitter=False, base_delay=1, sleep=clock.sleep):
        with attempt:
            seen.append(attempt.number)
            if attempt.number < 3:
                raise ConnectionError
    assert seen == [1, 2, 3]
    assert clock.sleeps == [1.0, 2.0]
    assert repr(attempt) == "<Attempt 3>"


def loop_raising(error: BaseException, **options: Any) -> int:
    """Run a retrying loop whose body always raises ``error``; return the attempts made."""
    count = 0
    try:
        for attempt in retrying(**options):
            with attempt:
                count += 1
                raise error
    finally:
        loop_raising.count = count  # type: ignore[attr-defined]
    return count


def test_retrying_loop_gives_up_and_does_not_catch_permanent_errors() -> None:
    with pytest.raises(PermanentError):
        loop_raising(PermanentError("bad"), max_attempts=3)
    assert loop_raising.count == 1  # type: ignore[attr-defined]
    clock = FakeClock()
    with pytest.raises(ConnectionError):
        loop_raising(ConnectionError(), max_attempts=2, deadline=10, clock=clock, sleep=clock.sleep)
    assert loop_raising.count == 2  # type: ignore[attr-defined]
    with pytest.raises(KeyboardInterrupt):
        loop_raising(KeyboardInterrupt(), max_attempts=2)
    assert loop_raising.count == 1  # type: ignore[attr-defined]


async def aloop_raising(error: BaseException, **options: Any) -> None:
    async for attempt in retrying(**options):
        with attempt:
            raise error


async def test_retrying_loop_async() -> None:
    clock = FakeClock()
    seen = []
    async for attempt in retrying(max_attempts=3, jitter=False, asleep=clock.asleep, deadline=60):
        with attempt:
            seen.append(attempt.number)
            if attempt.number < 2:
                raise ConnectionError
    assert seen == [1, 2]
    assert clock.sleeps == [0.5]
    with pytest.raises(ConnectionError):
        await aloop_raising(ConnectionError(), max_attempts=2, asleep=clock.asleep)


async def test_async_full_path_with_deadline_and_budget() -> None:
    clock = FakeClock()
    flaky = Flaky(ConnectionError())

    @retry(deadline=30, budget=RetryBudget(clock=clock), clock=clock, asleep=clock.asleep)
    async def call() -> str:
        return flaky()

    assert await call() == "ok"

    @retry(deadline=30, clock=clock, asleep=clock.asleep)
    async def fine() -> str:
        return "fine"

    assert await fine() == "fine"


async def test_an_async_callable_object_is_retried_as_async() -> None:
    class Client:
        def __init__(self) -> None:
            self.calls = 0

        async def __call__(self, prompt: str) -> str:
            self.calls += 1
            if self.calls < 2:
                raise ConnectionError
            return prompt

    client = Client()
    decorate, _ = no_wait(max_attempts=2)
    assert await decorate(client)("hi") == "hi"
    assert client.calls == 2


def test_one_options_object_names_each_function_it_decorates() -> None:
    names: list[str] = []
    decorate, _ = no_wait(max_attempts=2, on_retry=lambda e: names.append(e.name))

    def first() -> None:
        raise ConnectionError

    def second() -> None:
        raise ConnectionError

    for fn in (decorate(first), decorate(second)):
        with pytest.raises(ConnectionError):
            fn()
    assert [n.rsplit(".", 1)[-1] for n in names] == ["first", "second"]


def test_retrying_loop_records_calls_in_its_budget() -> None:
    clock = FakeClock()
    budget = RetryBudget(ratio=0.0, min_retries=0, clock=clock)
    with pytest.raises(ConnectionError):
        loop_raising(ConnectionError(), max_attempts=3, budget=budget, sleep=clock.sleep)
    assert loop_raising.count == 1  # type: ignore[attr-defined]  # the budget allows no retry


def test_a_server_wait_above_max_delay_is_waited_out_up_to_the_cap() -> None:
    flaky = Flaky(RateLimitError(retry_after=45))
    decorate, clock = no_wait(max_attempts=3, jitter=False, base_delay=1, max_delay=10)
    assert decorate(flaky)() == "ok"
    assert clock.sleeps == [45.0]  # above max_delay, within the 60 s cap


class HTTPError(Exception):
    """What httpx's HTTPStatusError carries: a response with a status and headers."""

    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"HTTP {status} for https://api.example/v1?key=sk-secret")
        self.response = type("Response", (), {"status_code": status, "headers": headers or {}})()


def test_a_server_wait_longer_than_the_cap_gives_up_at_once_carrying_retry_after() -> None:
    original = HTTPError(429, {"Retry-After": "120"})
    flaky = Flaky(original)
    decorate, clock = no_wait(max_attempts=5)
    with pytest.raises(RateLimitError) as info:
        decorate(flaky)()
    assert flaky.calls == 1  # never retried early against the server's word
    assert clock.sleeps == []
    assert info.value.retry_after == 120.0
    assert info.value.__cause__ is original


@pytest.mark.parametrize("testing", [False, True])
def test_a_server_wait_longer_than_the_deadline_left_gives_up_at_once(testing: bool) -> None:
    flaky = Flaky(RateLimitError("slow", retry_after=20))
    decorate, clock = no_wait(max_attempts=5, deadline=10)
    with set_testing(testing), pytest.raises(RateLimitError) as info:
        decorate(flaky)()
    assert flaky.calls == 1
    assert clock.sleeps == []
    assert info.value.retry_after == 20


def test_reset_headers_on_a_server_error_do_not_set_the_wait() -> None:
    flaky = Flaky(
        HTTPError(500, {"x-ratelimit-reset-requests": "2ms"}),
        HTTPError(500, {"x-ratelimit-reset-requests": "2ms"}),
        HTTPError(503, {"Retry-After": "3"}),
    )
    decorate, clock = no_wait(max_attempts=4, jitter=False, base_delay=1)
    assert decorate(flaky)() == "ok"
    assert clock.sleeps == [1.0, 2.0, 3.0]  # the strategy's, then a 503's Retry-After


def test_the_exhausted_dimensions_reset_is_the_wait() -> None:
    headers = {
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "1s",
        "x-ratelimit-remaining-tokens": "12000",
        "x-ratelimit-reset-tokens": "6m0s",
    }
    flaky = Flaky(HTTPError(429, headers))
    decorate, clock = no_wait(max_attempts=2)
    assert decorate(flaky)() == "ok"
    assert clock.sleeps == [1.0]


@pytest.mark.parametrize(
    ("status", "kind"),
    [(429, RateLimitError), (401, PermanentError), (503, TransientError), (504, TimeoutError)],
)
def test_giving_up_on_an_http_error_raises_the_matching_error_handler_error(
    status: int, kind: type[Exception]
) -> None:
    original = HTTPError(status, {"retry-after": "2"})
    decorate, _ = no_wait(max_attempts=2)
    with pytest.raises(kind) as info:
        decorate(Flaky(original, original))()
    error = info.value
    assert error.__cause__ is original
    assert error.status_code == status  # type: ignore[attr-defined]
    assert error.response is original.response  # type: ignore[attr-defined]
    assert error.retry_after == 2.0  # type: ignore[attr-defined]
    assert str(status) in str(error)
    assert "sk-secret" not in str(error)


async def test_the_async_path_and_the_loop_raise_the_matching_error_too() -> None:
    decorate, _ = no_wait(max_attempts=1)

    @decorate
    async def call() -> None:
        raise HTTPError(401)

    with pytest.raises(ErrorHandler.PermanentError):
        await call()
    with pytest.raises(ErrorHandler.RateLimitError):
        loop_raising(HTTPError(429), max_attempts=1)


def test_an_open_circuit_is_not_retried_unless_asked() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("svc", recovery_timeout=30, clock=clock)
    breaker.open()
    assert classify(CircuitOpenError("svc", 30)) is ErrorCategory.CIRCUIT_OPEN
    decorate, waits = no_wait(max_attempts=5)
    with pytest.raises(CircuitOpenError):
        decorate(breaker(succeed))()
    assert waits.sleeps == []  # "go elsewhere now", not "wait 30 s"
    opted_in = retry(max_attempts=2, retry_on=CircuitOpenError, sleep=clock.sleep)
    assert opted_in(breaker(succeed))() == "ok"
    assert clock.sleeps == [30.0]


def succeed() -> str:
    return "ok"


def test_errors_without_an_http_status_are_re_raised_unchanged() -> None:
    decorate, _ = no_wait(max_attempts=2)
    with pytest.raises(KeyError):
        decorate(Flaky(KeyError("a"), KeyError("b")))()


def test_retry_on_and_give_up_on_accept_error_categories() -> None:
    flaky = Flaky(RateLimitError(), ConnectionError())
    decorate, _ = no_wait(max_attempts=5, retry_on=ErrorCategory.RATE_LIMIT)
    with pytest.raises(ConnectionError):
        decorate(flaky)()
    assert flaky.calls == 2
    flaky = Flaky(ConnectionError(), RateLimitError())
    decorate, _ = no_wait(max_attempts=5, give_up_on=(ErrorCategory.RATE_LIMIT, KeyError))
    with pytest.raises(RateLimitError):
        decorate(flaky)()
    assert flaky.calls == 2

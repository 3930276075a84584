"""The fallback decorator and its composition with retry and the breaker."""

from __future__ import annotations

import pytest

from powertools.retry import (
    CircuitBreaker,
    CircuitOpenError,
    FallbackChain,
    RetryConfigError,
    fallback,
    retry,
)
from powertools.retry.testing import FakeClock, set_testing


def down(*_args: object) -> str:
    raise ConnectionError("down")


def test_chain_tries_handlers_in_order_then_the_default() -> None:
    @fallback(down, lambda q: f"second {q}", default="never")
    def primary(q: str) -> str:
        raise ConnectionError

    assert primary("x") == "second x"

    @fallback(down, default="default")
    def only_default(q: str) -> str:
        raise ConnectionError

    assert only_default("x") == "default"


def test_escalation_when_everything_failed() -> None:
    escalated: list[BaseException] = []

    @fallback(down, on_escalate=escalated.append)
    def primary() -> str:
        raise KeyError("original")

    with pytest.raises(KeyError):
        primary()
    assert isinstance(escalated[0], KeyError)


def test_only_the_listed_errors_fall_back() -> None:
    @fallback(default="x", on=ConnectionError)
    def primary() -> str:
        raise KeyError

    with pytest.raises(KeyError):
        primary()
    with pytest.raises(RetryConfigError):
        fallback(on=KeyboardInterrupt)  # type: ignore[arg-type]


async def test_async_fallback_chain() -> None:
    async def adown() -> str:
        raise ConnectionError

    async def cheap() -> str:
        return "cheap"

    @fallback(adown, cheap)
    async def primary() -> str:
        raise ConnectionError

    assert await primary() == "cheap"


def test_fallback_outside_breaker_catches_circuit_open() -> None:
    breaker = CircuitBreaker("svc", failure_threshold=1, clock=FakeClock())

    @fallback(default="degraded")
    @breaker
    def call() -> str:
        raise ConnectionError

    assert call() == "degraded"  # the failure trips the breaker
    assert call() == "degraded"  # CircuitOpenError, also recovered
    with pytest.raises(CircuitOpenError):
        breaker.call(down)


def test_fallback_inside_retry_recovers_each_attempt() -> None:
    calls = 0

    @retry(max_attempts=3)
    @fallback(default="inner")
    def call() -> str:
        nonlocal calls
        calls += 1
        raise ConnectionError

    assert call() == "inner"
    assert calls == 1


def test_retry_inside_breaker_and_breaker_inside_retry() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("svc", failure_threshold=2, clock=clock)

    @retry(max_attempts=5, fallback_value="fallback", sleep=clock.sleep)
    @breaker
    def call() -> str:
        raise ConnectionError

    with set_testing(True):
        assert call() == "fallback"
    assert breaker.state.value == "open"


def test_chain_rejects_non_callables() -> None:
    with pytest.raises(RetryConfigError):
        FallbackChain([42])  # type: ignore[list-item]
    from powertools.retry._fallback import MISSING

    assert FallbackChain.build(None, MISSING, None) is None
    assert FallbackChain.build(down, MISSING, None) is not None


def test_missing_has_a_readable_repr() -> None:
    from powertools.retry._fallback import MISSING

    assert repr(MISSING) == "MISSING"


def test_breaker_outside_retry_counts_only_the_final_outcome() -> None:
    breaker = CircuitBreaker("outer", failure_threshold=2, clock=FakeClock())
    calls = 0

    @breaker
    @retry(max_attempts=3, sleep=lambda _s: None)
    def call() -> str:
        nonlocal calls
        calls += 1
        raise ConnectionError

    with pytest.raises(ConnectionError):
        call()
    assert calls == 3
    assert breaker.state.value == "closed"  # three attempts, one failure for the breaker
    with pytest.raises(ConnectionError):
        call()
    assert breaker.state.value == "open"
    with pytest.raises(CircuitOpenError):
        call()
    assert calls == 6


def test_a_failing_fallback_is_logged_and_noted_not_swallowed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(q: str) -> str:
        raise KeyError("cache miss")

    @fallback(broken, default="default")
    def recovered(q: str) -> str:
        raise ConnectionError("down")

    with caplog.at_level("WARNING", logger="powertools.retry"):
        assert recovered("x") == "default"
    assert "broken" in caplog.text
    assert "cache miss" in caplog.text  # the traceback of the handler's own error

    @fallback(broken)
    def unrecovered(q: str) -> str:
        raise ConnectionError("down")

    with pytest.raises(ConnectionError) as info:
        unrecovered("x")
    assert any("KeyError" in note for note in info.value.__notes__)


async def test_a_failing_async_fallback_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def broken(q: str) -> str:
        raise KeyError("cache miss")

    @retry(max_attempts=1, fallback=broken, fallback_value="default")
    async def call(q: str) -> str:
        raise ConnectionError("down")

    with caplog.at_level("WARNING", logger="powertools.retry"):
        assert await call("x") == "default"
    assert "cache miss" in caplog.text

"""Component 5's code example from the spec, run as written (only the import line differs:
this package is tested alone, without the ai-powertools meta-package; the verbatim import runs
in tests-integration/test_retry_spec.py)."""

from __future__ import annotations

import ast
from typing import Any

import pytest

from powertools.retry import ErrorHandler
from powertools.retry.testing import set_testing

SPEC_EXAMPLE = """
# Simple retry
@retry(
    max_attempts=5,
    strategy="exponential_backoff",
    jitter=True
)
async def call_llm(prompt):
    return await llm.generate(prompt)

# Circuit breaker for failing services
@circuit_breaker(
    failure_threshold=5,
    recovery_timeout=60
)
async def risky_operation():
    return await unreliable_service()

# Fallback
@retry(fallback_value="Unable to generate response")
async def generate_with_fallback(prompt):
    return await llm.generate(prompt)

# Handle errors explicitly
try:
    result = await call_llm(prompt)
except ErrorHandler.RateLimitError:
    # Handle rate limit specifically
    await rate_limiter.wait()
    result = await call_llm(prompt)
except ErrorHandler.PermanentError:
    # Don't retry permanent errors
    raise
"""


class ScriptedLLM:
    """An async callable LLM whose ``generate`` raises the scripted errors, then answers."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def generate(self, prompt: str) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return f"answer to {prompt}"


class Waiter:
    def __init__(self) -> None:
        self.waits = 0

    async def wait(self) -> None:
        self.waits += 1


async def run_spec(llm: ScriptedLLM, imports: str) -> dict[str, Any]:
    async def unreliable_service() -> str:
        raise ConnectionError("service down")

    namespace: dict[str, Any] = {
        "llm": llm,
        "prompt": "hello",
        "rate_limiter": Waiter(),
        "unreliable_service": unreliable_service,
        "ErrorHandler": ErrorHandler,
    }
    code = compile(imports + SPEC_EXAMPLE, "<spec>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    with set_testing(True):
        coroutine = eval(code, namespace)
        if coroutine is not None:
            await coroutine
    return namespace


IMPORTS = "from powertools.retry import retry, circuit_breaker\n"


async def test_transient_failures_are_retried_and_the_answer_returned() -> None:
    llm = ScriptedLLM(ConnectionError("reset"), ErrorHandler.TimeoutError("slow"))
    ns = await run_spec(llm, IMPORTS)
    assert ns["result"] == "answer to hello"
    assert llm.calls == 3
    assert ns["rate_limiter"].waits == 0


async def test_rate_limit_after_five_attempts_reaches_the_except_branch() -> None:
    limited = [ErrorHandler.RateLimitError("429", retry_after=1.0) for _ in range(5)]
    llm = ScriptedLLM(*limited)
    ns = await run_spec(llm, IMPORTS)
    assert ns["rate_limiter"].waits == 1
    assert ns["result"] == "answer to hello"
    assert llm.calls == 6


async def test_permanent_error_is_attempted_once_and_re_raised() -> None:
    llm = ScriptedLLM(ErrorHandler.PermanentError("401"))
    with pytest.raises(ErrorHandler.PermanentError):
        await run_spec(llm, IMPORTS)
    assert llm.calls == 1


async def test_fallback_value_and_circuit_breaker_from_the_example() -> None:
    ns = await run_spec(ScriptedLLM(), IMPORTS)
    ns["llm"] = ScriptedLLM(*[ConnectionError("down")] * 3)
    with set_testing(True):
        assert await ns["generate_with_fallback"]("x") == "Unable to generate response"
    risky = ns["risky_operation"]
    for _ in range(5):
        with pytest.raises(ConnectionError):
            await risky()
    assert risky.breaker.state.value == "open"
    with pytest.raises(ErrorHandler.CircuitOpenError) as info:
        await risky()
    assert 59 < info.value.retry_after <= 60

"""The spec's Component 5 example, kept verbatim, and a runner for it.

The example uses top-level ``await`` and names it does not define (``llm``,
``unreliable_service``, ``prompt``, ``rate_limiter``, ``ErrorHandler``), so :func:`run`
compiles it with top-level await allowed, inside a namespace that provides them.
"""

from __future__ import annotations

import ast
from typing import Any

SPEC_IMPORTS = "from powertools import retry, circuit_breaker\n"

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


async def run(namespace: dict[str, Any], imports: str = SPEC_IMPORTS) -> dict[str, Any]:
    """Run the example in ``namespace`` (which must define the names it uses); return it."""
    code = compile(imports + SPEC_EXAMPLE, "<spec>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    coroutine = eval(code, namespace)  # noqa: S307 - the spec's own example, not user input
    if coroutine is not None:
        await coroutine
    return namespace


class ScriptedLLM:
    """An LLM client whose async ``generate`` raises the scripted errors, then answers."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def generate(self, prompt: str) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return f"answer to {prompt}"


class CountingWaiter:
    """A stand-in rate limiter whose ``wait`` only counts."""

    def __init__(self) -> None:
        self.waits = 0

    async def wait(self) -> None:
        self.waits += 1


async def unreliable_service() -> str:
    """A service that is always down."""
    raise ConnectionError("service down")


def namespace_for(llm: ScriptedLLM) -> dict[str, Any]:
    """The names the example expects to exist."""
    from powertools.retry import ErrorHandler

    return {
        "llm": llm,
        "prompt": "hello",
        "rate_limiter": CountingWaiter(),
        "unreliable_service": unreliable_service,
        "ErrorHandler": ErrorHandler,
    }


if __name__ == "__main__":
    import asyncio

    from powertools.retry.testing import set_testing

    async def main() -> None:
        llm = ScriptedLLM(ConnectionError("reset"))
        with set_testing(True):
            done = await run(
                namespace_for(llm), "from powertools.retry import retry, circuit_breaker\n"
            )
        print(done["result"])

    asyncio.run(main())

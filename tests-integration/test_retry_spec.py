"""The spec's Component 5 example with its own import line, through the ai-powertools names."""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

from powertools.retry.testing import set_testing

EXAMPLE = Path(__file__).parents[1] / "packages/powertools-retry/examples/spec_example.py"
spec = runpy.run_path(str(EXAMPLE))


async def test_the_example_runs_verbatim_with_from_powertools_import() -> None:
    from powertools.retry import ErrorHandler

    limited = [ErrorHandler.RateLimitError("429", retry_after=1) for _ in range(5)]
    llm = spec["ScriptedLLM"](*limited)
    with set_testing(True):
        done: dict[str, Any] = await spec["run"](spec["namespace_for"](llm))
    assert done["result"] == "answer to hello"
    assert done["rate_limiter"].waits == 1
    assert callable(done["retry"])
    assert done["risky_operation"].breaker.state.value == "closed"


def test_from_powertools_import_retry_is_callable_even_after_the_submodule_import() -> None:
    import powertools.retry  # binds the submodule as the attribute powertools.retry
    from powertools import ErrorHandler, circuit_breaker, retry

    assert ErrorHandler is powertools.retry.ErrorHandler
    assert circuit_breaker is powertools.retry.circuit_breaker

    @retry(max_attempts=1)
    def one() -> int:
        return 1

    assert one() == 1
    assert powertools.retry.retry(max_attempts=1)(one)() == 1


def _client(httpx: Any, calls: list[str]) -> Any:
    def handler(request: Any) -> Any:
        calls.append(request.url.path)
        if request.url.path == "/limited":
            return httpx.Response(429, headers={"retry-after": "120"})
        if request.url.path == "/briefly-limited":
            return httpx.Response(429, headers={"retry-after": "1"})
        return httpx.Response(401, json={"error": "invalid api key"})

    return httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="https://api.test")


async def test_the_specs_except_clauses_catch_real_httpx_429_and_401() -> None:
    import pytest

    httpx = pytest.importorskip("httpx")
    from powertools import ErrorHandler, retry

    calls: list[str] = []
    client = _client(httpx, calls)

    @retry(max_attempts=5, strategy="exponential_backoff", jitter=True)
    async def call_llm(path: str) -> Any:
        response = await client.get(path)
        response.raise_for_status()
        return response

    with pytest.raises(ErrorHandler.RateLimitError) as limited:
        await call_llm("/limited")  # asked to wait 2 minutes: give up now, say so
    assert calls == ["/limited"]
    assert limited.value.retry_after == 120.0
    assert limited.value.status_code == 429
    assert isinstance(limited.value.__cause__, httpx.HTTPStatusError)
    assert limited.value.response is limited.value.__cause__.response

    with set_testing(True), pytest.raises(ErrorHandler.RateLimitError) as briefly:
        await call_llm("/briefly-limited")  # waited out (zero in testing mode), 5 attempts
    assert calls.count("/briefly-limited") == 5
    assert briefly.value.retry_after == 1.0

    with pytest.raises(ErrorHandler.PermanentError) as denied:
        await call_llm("/auth")
    assert calls.count("/auth") == 1  # never retried
    assert denied.value.status_code == 401
    assert "api.test" not in str(denied.value)  # URLs (and keys in them) stay in the cause
    await client.aclose()

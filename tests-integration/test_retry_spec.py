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

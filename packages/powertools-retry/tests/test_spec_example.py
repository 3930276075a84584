"""Component 5's code example from the spec, run as written (only the import line differs:
this package is tested alone, without the ai-powertools meta-package; the verbatim import runs
in tests-integration/test_retry_spec.py). The example lives in examples/spec_example.py."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from powertools.retry import ErrorHandler
from powertools.retry.testing import set_testing

EXAMPLE = Path(__file__).parents[1] / "examples" / "spec_example.py"
spec = runpy.run_path(str(EXAMPLE))
ScriptedLLM = spec["ScriptedLLM"]


async def run_spec(llm: Any, imports: str) -> dict[str, Any]:
    with set_testing(True):
        return await spec["run"](spec["namespace_for"](llm), imports)


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


def test_the_example_file_runs_as_a_script() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "answer to hello"

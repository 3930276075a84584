"""The spec's "All Components Work Together" example, for the five components that have landed.

The router has not landed, so `router.route(...)` is replaced by a flaky async model; everything
else is the spec's code, imported from the top level as users write it.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest


def test_five_components_compose_as_in_the_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_LOGGING_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("POWERTOOLS_SESSION_DIR", str(tmp_path / "sessions"))
    from powertools import CostTracker, ErrorHandler, RateLimiter, Session, StructuredLogger
    from powertools.retry import testing

    cost_tracker = CostTracker(budget_usd=100)
    session = Session("project")
    rate_limiter = RateLimiter()
    logger = StructuredLogger("app")
    calls = {"n": 0}

    async def route(task: str) -> dict[str, Any]:
        # a model that fails once with a transient error, then answers with OpenAI-shaped usage
        calls["n"] += 1
        if calls["n"] == 1:
            raise ErrorHandler.TransientError("upstream hiccup")
        return {
            "model": "gpt-4o-mini",
            "content": f"def f(): ...  # {task}",
            "usage": {"prompt_tokens": 1200, "completion_tokens": 300},
        }

    @rate_limiter.limit(priority="high")
    @ErrorHandler.retry(max_attempts=3)
    async def generate_code(requirement: str) -> dict[str, Any]:
        async with cost_tracker.track_call("code_gen") as span:
            logger.info("generating", requirement=requirement)
            session.set("current_task", "code_gen")
            result = await route(f"Generate code for: {requirement}")
            span.record(result)
            logger.metric("code_quality", value=0.85)
            return result

    with testing.set_testing(True):
        result = asyncio.run(generate_code("parse a CSV file"))

    assert result["content"].startswith("def f()")
    assert calls["n"] == 2  # retried once after the transient error
    # gpt-4o-mini: 1,200 input tokens at $0.15/M + 300 output tokens at $0.60/M
    assert cost_tracker.get_total() == Decimal("0.00036")
    assert [e["requirement"] for e in logger.query(event_type="generating")] == [
        "parse a CSV file",
        "parse a CSV file",
    ]
    assert session.get_all() == {"current_task": "code_gen"}
    assert Session.recover("project").get("current_task") == "code_gen"

"""The spec's Component 4 example, run as written through the meta-package's top-level names."""

from __future__ import annotations

import asyncio
import textwrap
from typing import Any

import pytest

SPEC_COMPONENT_4 = textwrap.dedent(
    """
    from powertools import rate_limit, QuotaManager

    # Decorator-based
    @rate_limit(
        requests_per_minute=60,
        tokens_per_hour=1_000_000,
        priority="high"
    )
    async def important_task():
        return await llm.generate(prompt)

    # Queue-based
    quota = QuotaManager()

    # Auto-queues if over limit
    await quota.check_and_wait(tokens=5000)
    await llm.generate(prompt)

    # Get stats
    stats = quota.get_stats()
    print(f"Queue length: {stats.queued_tasks}")
    print(f"Wait time: {stats.estimated_wait_seconds}s")
    """
)

SPEC_TOGETHER_RATELIMIT_PART = textwrap.dedent(
    """
    from powertools import RateLimiter

    rate_limiter = RateLimiter()

    @rate_limiter.limit(priority="high")
    async def generate_code(requirement):
        return f"code for {requirement}"
    """
)


class FakeLLM:
    def __init__(self) -> None:
        self.calls = 0

    async def generate(self, prompt: str) -> str:
        self.calls += 1
        return prompt


async def run_as_written(source: str, namespace: dict[str, Any]) -> None:
    body = textwrap.indent(source, "    ")
    code = f"async def __spec__():\n{body}\n    return locals()"
    exec(compile(code, "<spec>", "exec"), namespace)
    namespace.update(await namespace["__spec__"]())


async def test_component_4_example(capsys: pytest.CaptureFixture[str]) -> None:
    llm = FakeLLM()
    namespace: dict[str, Any] = {"llm": llm, "prompt": "hi"}
    await run_as_written(SPEC_COMPONENT_4, namespace)
    assert await namespace["important_task"]() == "hi"
    assert llm.calls == 2
    assert capsys.readouterr().out == "Queue length: 0\nWait time: 0.0s\n"


async def test_rate_limiter_part_of_all_components_work_together() -> None:
    namespace: dict[str, Any] = {}
    await run_as_written(SPEC_TOGETHER_RATELIMIT_PART, namespace)
    results = await asyncio.gather(*(namespace["generate_code"](i) for i in range(50)))
    assert results == [f"code for {i}" for i in range(50)]

"""The spec's Component 6 example through the meta-package, exactly as the user writes it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("at", "found"),
    [(datetime(2026, 1, 15, 12, tzinfo=UTC), 1), (datetime(2026, 3, 2, 9, tzinfo=UTC), 0)],
)
def test_component_6_example_through_the_meta_package(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    at: datetime,
    found: int,
) -> None:
    monkeypatch.setenv("POWERTOOLS_LOGGING_DIR", str(tmp_path))
    monkeypatch.setenv("POWERTOOLS_LOGGING_KEY_DIR", str(tmp_path.parent / f"{tmp_path.name}-keys"))
    from powertools import StructuredLogger

    # the example's query asks for January 2026: the default clock is pinned on either side
    defaults = StructuredLogger.__init__.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "clock", at.timestamp)

    log = StructuredLogger("my_module")
    log.set_context(user_id="user123", session_id="sess456", trace_id="trace789")
    log.info("llm_call_started", model="gpt-4", tokens=1500, provider="openai", priority="high")
    log.metric("code_generation_quality", value=0.85, tags={"model": "gpt-4", "language": "python"})
    log.audit(
        "security_event",
        action="create_pr",
        resource="repo/llama-cpp-python",
        actor="user123",
        result="success",
    )
    events = log.query(
        event_type="llm_call_started",
        start_time="2026-01-01",
        end_time="2026-01-31",
        filters={"model": "gpt-4"},
    )
    print(f"Found {len(events)} GPT-4 calls in January")
    (logged,) = log.query(event_type="llm_call_started")
    assert logged["tokens"] == 1500
    assert logged.time == at
    assert capsys.readouterr().out == f"Found {found} GPT-4 calls in January\n"
    log.clear_context()


def test_logger_part_of_all_components_together(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_LOGGING_DIR", str(tmp_path))
    monkeypatch.setenv("POWERTOOLS_LOGGING_KEY_DIR", str(tmp_path.parent / f"{tmp_path.name}-keys"))
    from powertools import StructuredLogger

    logger = StructuredLogger("app")

    async def generate_code(requirement: str) -> str:
        logger.info("generating", requirement=requirement)
        logger.metric("code_quality", value=0.85)
        return "ok"

    async def main() -> None:
        await asyncio.gather(*(generate_code(f"req {n}") for n in range(5)))
        logs = logger.query(event_type="generating")
        print(f"Logs: {logs}")
        assert sorted(e["requirement"] for e in logs) == [f"req {n}" for n in range(5)]

    asyncio.run(main())

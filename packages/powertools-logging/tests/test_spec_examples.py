"""The spec's examples, run as written (imports from this package, as the meta-package may be
absent when the package is tested alone)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from powertools.logging import LogEvent, StructuredLogger


@pytest.mark.parametrize(
    ("at", "found"),
    [(datetime(2026, 1, 15, 12, tzinfo=UTC), 1), (datetime(2026, 3, 2, 9, tzinfo=UTC), 0)],
)
def test_component_6_example_runs_as_written(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, at: datetime, found: int
) -> None:
    # the example's query asks for January 2026: the default clock is pinned on either side
    defaults = StructuredLogger.__init__.__kwdefaults__
    assert defaults is not None
    monkeypatch.setitem(defaults, "clock", at.timestamp)
    log = StructuredLogger("my_module")

    # Contextual logging
    log.set_context(user_id="user123", session_id="sess456", trace_id="trace789")

    # Structured output
    log.info("llm_call_started", model="gpt-4", tokens=1500, provider="openai", priority="high")

    # Metrics
    log.metric("code_generation_quality", value=0.85, tags={"model": "gpt-4", "language": "python"})

    # Audit trail
    log.audit(
        "security_event",
        action="create_pr",
        resource="repo/llama-cpp-python",
        actor="user123",
        result="success",
    )

    # Query logs
    events = log.query(
        event_type="llm_call_started",
        start_time="2026-01-01",
        end_time="2026-01-31",
        filters={"model": "gpt-4"},
    )
    print(f"Found {len(events)} GPT-4 calls in January")
    (logged,) = log.query(event_type="llm_call_started")
    assert logged.time == at
    assert capsys.readouterr().out == f"Found {found} GPT-4 calls in January\n"

    found = log.query(event_type="llm_call_started", filters={"model": "gpt-4"})
    assert [e.event for e in found] == ["llm_call_started"]
    assert found[0].fields["user_id"] == "user123"
    assert found[0].trace_id == "trace789"
    assert log.query(event_type="metric")[0]["tags"] == {"model": "gpt-4", "language": "python"}
    assert log.audit_trail.verify().records == 1
    log.clear_context()


def test_january_query_counts_january_31_events(tmp_path: Path) -> None:
    moments = iter([1769817600.0 + 3600, 1769817600.0 + 86400 + 1])  # Jan 31 01:00, Feb 1
    log = StructuredLogger("jan", clock=lambda: next(moments))
    log.info("llm_call_started", model="gpt-4")
    log.info("llm_call_started", model="gpt-4")
    events = log.query(
        event_type="llm_call_started",
        start_time="2026-01-01",
        end_time="2026-01-31",
        filters={"model": "gpt-4"},
    )
    assert len(events) == 1


async def test_all_components_together_part_runs_inside_an_event_loop() -> None:
    logger = StructuredLogger("app")

    async def generate_code(requirement: str) -> str:
        logger.info("generating", requirement=requirement)
        await asyncio.sleep(0)
        logger.metric("code_quality", value=0.85)
        return "code"

    assert await generate_code("a fizzbuzz") == "code"
    logs = logger.query(event_type="generating")
    print(f"Logs: {logs}")
    assert len(logs) == 1
    assert isinstance(logs[0], LogEvent)
    assert logs[0]["requirement"] == "a fizzbuzz"
    assert await logger.aquery(event_type="metric", filters={"metric": "code_quality"})


def test_default_store_lives_under_the_configured_folder(data_folder: Path) -> None:
    log = StructuredLogger("app")
    log.info("x")
    log.flush()
    assert (data_folder / "events.db").exists()

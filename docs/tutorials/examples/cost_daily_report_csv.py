"""A daily cost report by model, user and task, then an export to CSV that loads back exactly."""

from __future__ import annotations

import asyncio
import csv
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from powertools.cost import CostTracker, from_csv
from powertools.cost.testing import FakeClock, openai_response

clock = FakeClock(datetime(2026, 11, 25, 9, tzinfo=UTC).timestamp())
tracker = CostTracker(clock=clock)

WORKLOAD = [  # (task, user, model, prompt tokens, completion tokens)
    ("summarise", "ann", "gpt-4o-mini", 3_000, 300),
    ("summarise", "bob", "gpt-4o-mini", 2_500, 250),
    ("code-review", "ann", "gpt-4o", 8_000, 1_200),
    ("chat", "carol", "gpt-4o", 1_000, 400),
]


async def run_workload() -> None:
    for task, user, model, prompt, completion in WORKLOAD:
        async with tracker.track_call(task, user=user) as span:
            span.record(openai_response(model, prompt, completion))
        clock.advance(60)


async def main() -> None:
    await run_workload()
    report = tracker.get_daily_report()
    print(f"{report.task_count} calls, ${report.total} today")
    for model, cost in report.by_model.items():
        print(f"  {model:<12} ${cost}")
    print("by user:", dict(report.by_user))
    assert report.task_count == 4
    assert report.by_model["gpt-4o"] > report.by_model["gpt-4o-mini"]
    assert sum(report.by_user.values()) == report.total

    out = Path(tempfile.mkdtemp()) / "calls-2026-11-25.csv"
    out.write_text(tracker.analytics().to_csv(), encoding="utf-8")
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    print(f"wrote {len(rows)} rows to {out.name}; columns: {', '.join(list(rows[0])[:6])}, ...")
    assert len(rows) == 4

    loaded = from_csv(out.read_text(encoding="utf-8"))  # lossless: exact money, every field
    assert loaded == tracker.records
    print("the CSV loads back to the same records")


if __name__ == "__main__":
    asyncio.run(main())

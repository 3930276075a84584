"""Query last week's GPT-4 calls from the SQLite store every logger writes to."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from powertools.logging import StructuredLogger
from powertools.logging.sinks.sqlite import SqliteSink

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
clock_now = [(NOW - timedelta(days=14)).timestamp()]  # start logging two weeks ago

folder = Path(tempfile.mkdtemp())
log = StructuredLogger("llm", sinks=[SqliteSink(folder / "llm.db")], clock=lambda: clock_now[0])


def log_two_weeks() -> None:
    """Eight calls a day for 14 days, alternating models and users."""
    for _day in range(14):
        for n in range(8):
            model = "gpt-4" if n % 2 else "gpt-4o-mini"
            log.info("llm_call", model=model, user_id=f"user{n % 3}", tokens=100 * (n + 1))
            clock_now[0] += 3_600
        clock_now[0] += 16 * 3_600
    log.flush()


def main() -> None:
    log_two_weeks()
    week_ago = NOW - timedelta(days=7)
    calls = log.query(
        event_type="llm_call",
        start_time=week_ago,
        end_time=NOW,
        filters={"model": "gpt-4"},
        limit=10_000,  # the default returns the newest 1,000: ask for what you need
    )
    tokens = sum(event.fields["tokens"] for event in calls)
    print(f"{len(calls)} GPT-4 calls since {week_ago:%Y-%m-%d}, {tokens:,} tokens")
    assert len(calls) == 7 * 4
    assert all(week_ago <= e.time <= NOW and e.fields["model"] == "gpt-4" for e in calls)

    by_user = log.query(
        event_type="llm_call", start_time=week_ago, filters={"user_id": "user1"}, limit=10_000
    )
    print(f"user1 made {len(by_user)} calls last week, the first at {by_user[0].time:%a %H:%M}")
    assert by_user == sorted(by_user, key=lambda e: e.time)  # oldest first
    log.close()


if __name__ == "__main__":
    main()

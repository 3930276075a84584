"""The memory ledger's running held total and lazy expiry sweep agree with a naive ledger."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from powertools.cost import CallRecord, MemoryLedger, Usage

LIMIT = 1_000

# (operation, reservation id, amount, time step)
steps = st.lists(
    st.tuples(
        st.sampled_from(["reserve", "commit", "release", "totals"]),
        st.sampled_from("abcdef"),
        st.integers(0, 400),
        st.floats(0, 5, allow_nan=False),
        st.floats(0.5, 20, allow_nan=False),
    ),
    max_size=60,
)


@given(steps)
def test_held_totals_match_a_ledger_that_rescans_every_hold(
    ops: list[tuple[str, str, int, float, float]],
) -> None:
    ledger = MemoryLedger()
    spent = 0
    holds: dict[str, tuple[int, float]] = {}
    now = 0.0
    for op, rid, amount, step, ttl in ops:
        now += step
        holds = {r: h for r, h in holds.items() if h[1] > now}  # expired holds are gone
        held = sum(a for a, _ in holds.values())
        if op == "reserve":
            fits = spent + held + amount <= LIMIT
            assert (
                ledger.reserve_sync("k", LIMIT, amount, rid, expires_at=now + ttl, now=now) == fits
            )
            if fits:
                holds[rid] = (amount, now + ttl)
        elif op == "commit":
            holds.pop(rid, None)
            spent += amount
            assert ledger.commit_sync("k", rid, amount) == spent
        elif op == "release":
            holds.pop(rid, None)
            ledger.release_sync("k", rid)
        else:
            assert ledger.totals_sync("k", now) == (spent, held)
    holds = {r: h for r, h in holds.items() if h[1] > now}
    assert ledger.totals_sync("k", now) == (spent, sum(a for a, _ in holds.values()))


def _record(i: int) -> CallRecord:
    return CallRecord(f"r{i}", f"r{i}", float(i), "t", "gpt-4o", None, (), Usage(input=i), i)


@given(st.integers(0, 30), st.integers(0, 80))
def test_the_ledger_keeps_exactly_the_latest_retain_records_after_every_append(
    retain: int, calls: int
) -> None:
    ledger = MemoryLedger(retain=retain)
    for i in range(calls):
        ledger.append_sync(_record(i))
        kept = ledger.records_sync()
        # never more than retain: no batch of old records waits to be trimmed on some later call
        assert [r.id for r in kept] == [f"r{j}" for j in range(max(i + 1 - retain, 0), i + 1)]
    assert ledger.records_sync(since=float(calls - 2)) == [
        r for r in ledger.records_sync() if r.at >= calls - 2
    ]

"""The Redis ledger's Lua money arithmetic against Python integers (hypothesis)."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from powertools.cost.backends._redis_scripts import COMMIT, RESERVE, TOTALS

# each up to $1e15, nine of them: every sum stays inside the documented exact range (2**53 dollars)
amounts = st.integers(min_value=0, max_value=10**30)


@pytest.mark.integration
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(
    limit=amounts,
    spent=st.lists(amounts, max_size=4),
    holds=st.lists(amounts, max_size=4),
    ask=amounts,
)
def test_reserve_decides_exactly_like_integers(
    redis_url: str, limit: int, spent: list[int], holds: list[int], ask: int
) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        tag = f"{{t-{uuid.uuid4().hex}}}"
        keys = [f"{tag}:spent", f"{tag}:holds", f"{tag}:expiry", f"{tag}:done"]
        reserve, commit, totals = (client.register_script(s) for s in (RESERVE, COMMIT, TOTALS))
        for i, amount in enumerate(spent):
            commit(keys=keys, args=[f"c{i}", str(amount), "0", "0", "86400"])
        for i, amount in enumerate(holds):
            client.hset(keys[1], f"h{i}", str(amount))
            client.zadd(keys[2], {f"h{i}": 100.0})
        got = reserve(keys=keys[:3], args=[str(limit), str(ask), "new", "100", "0", "0"])
        assert got == int(sum(spent) + sum(holds) + ask <= limit)
        found_spent, found_held = totals(keys=keys[:3], args=["0"])
        expected_held = sum(holds) + (ask if got else 0)
        assert (int(found_spent), int(found_held)) == (sum(spent), expected_held)
    finally:
        client.close()


@pytest.mark.integration
async def test_amounts_beyond_the_exact_range_are_refused(redis_url: str) -> None:
    from powertools.cost import LedgerError, open_ledger

    ledger = open_ledger(redis_url)
    try:
        with pytest.raises(LedgerError, match="exact range"):
            await ledger.reserve("k", 2**60 * 10**15, 1, "r", expires_at=1.0, now=0.0)
        with pytest.raises(LedgerError, match="exact range"):
            await ledger.commit("k", "r", 2**60 * 10**15)
    finally:
        await ledger.aclose()

"""QuotaManager: waiting, stats per dimension, forecasts; provider configurations."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from powertools.ratelimit import (
    ConfigurationError,
    Cost,
    ProviderLimits,
    QuotaManager,
    RateLimiter,
    RateLimitTimeout,
    load_provider_limits,
)
from powertools.ratelimit.testing import FakeClock


def manager(clock: FakeClock, **limits: float) -> QuotaManager:
    return QuotaManager(RateLimiter(clock=clock, sleep=clock.wait, **limits))


async def test_stats_report_queue_wait_and_each_dimension() -> None:
    clock = FakeClock()
    quota = manager(clock, requests_per_minute=60, tokens_per_minute=90_000)
    await quota.check_and_wait(tokens=5000)
    waiting = [asyncio.create_task(quota.check_and_wait(tokens=5000)) for _ in range(3)]
    await clock.settle()
    stats = quota.get_stats()
    assert stats.queued_tasks == 3
    assert stats.estimated_wait_seconds >= 3.0
    tokens = stats.dimensions["tokens_per_minute"]
    assert tokens.remaining == pytest.approx(85_000)
    assert tokens.utilisation == pytest.approx(5000 / 90_000)
    assert tokens.reset_seconds == pytest.approx(5000 * 60 / 90_000)
    await clock.aadvance(10.5)  # 5,000 tokens are 3.33 s of 90,000/min each
    await asyncio.gather(*waiting)
    assert quota.get_stats().queued_tasks == 0


async def test_forecast_says_when_a_daily_quota_runs_out() -> None:
    clock = FakeClock()
    quota = manager(clock, tokens_per_day=1_000_000)
    for _ in range(10):  # 10,000 tokens a minute: far above the 694/min that refills
        await quota.check_and_wait(tokens=1000)
        await clock.aadvance(6.0)
    stats = quota.get_stats()
    runs_out = stats.runs_out_in_seconds["tokens_per_day"]
    assert runs_out is not None
    assert 3600 < runs_out < 86400
    await clock.aadvance(3600.0)  # quiet for an hour: the rate decays, no run-out at this rate
    assert quota.get_stats().runs_out_in_seconds["tokens_per_day"] is None


async def test_check_and_wait_times_out_without_taking() -> None:
    clock = FakeClock()
    quota = manager(clock, requests_per_second=1)
    r = await quota.check_and_wait(priority="critical", tenant="team-a")
    assert r.held
    late = asyncio.create_task(quota.check_and_wait(timeout=0.1))
    await clock.aadvance(0.1)
    with pytest.raises(RateLimitTimeout):
        await late
    assert quota.would_wait_longer_than(0.5)
    quota.record_usage(Cost.of(tokens=10))
    assert "QuotaManager" in repr(quota)


def test_provider_limits_load_from_toml_and_json(tmp_path: Path) -> None:
    toml = tmp_path / "limits.toml"
    toml.write_text(
        '[openai]\nrequests_per_minute = 10\n[openai.models."gpt-4o-mini"]\n'
        "tokens_per_minute = 5000\n",
        encoding="utf-8",
    )
    sets = load_provider_limits(toml)
    assert sets.limits_for("openai") == {"requests_per_minute": 10}
    assert sets.limits_for("openai", "gpt-4o-mini") == {"tokens_per_minute": 5000}
    assert sets.limits_for("openai", "unknown-model") == {"requests_per_minute": 10}
    js = tmp_path / "limits.json"
    js.write_text(json.dumps({"local": {"max_concurrent": 2}}), encoding="utf-8")
    assert "local" in load_provider_limits(js).providers
    limiter = RateLimiter.for_provider("openai", "gpt-4o-mini", config=toml)
    assert [(x.name, x.limit) for x in limiter.limits] == [("tokens_per_minute", 5000)]


def test_provider_config_errors_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no limits for provider 'acme'"):
        ProviderLimits().limits_for("acme")
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_provider_limits(tmp_path / "missing.toml")
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not valid"):
        load_provider_limits(bad)
    bad.write_text("[1]", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="a table per provider"):
        load_provider_limits(bad)
    with pytest.raises(ConfigurationError, match="expected a table"):
        ProviderLimits({"x": 5})  # type: ignore[dict-item]


async def test_each_key_has_its_own_quota_besides_the_shared_limits() -> None:
    clock = FakeClock()
    quota = QuotaManager(
        RateLimiter(
            clock=clock,
            sleep=clock.wait,
            tokens_per_minute=1_000_000,
            burst={"tokens_per_minute": 100_000},
        ),
        per_tenant={"tokens_per_day": 10_000},
    )
    r = await quota.check_and_wait(tokens=8_000, tenant="team-a")
    r.settle(tokens=6_000)  # refunded to the key's quota and to the shared limit
    assert quota.tenant_stats("team-a")[0].remaining == pytest.approx(4_000)
    await quota.check_and_wait(tokens=4_000, tenant="team-a")
    late = asyncio.create_task(quota.check_and_wait(tokens=4_000, tenant="team-a", timeout=60))
    await clock.aadvance(60.0)
    with pytest.raises(RateLimitTimeout):  # team-a's day is spent; nothing stays taken
        await late
    await quota.check_and_wait(tokens=9_000, tenant="team-b", timeout=0)  # team-b is untouched
    assert quota.tenant_stats("team-b")[0].remaining == pytest.approx(1_000, abs=10)
    assert QuotaManager().tenant_stats("anyone") == []


async def test_a_key_gets_its_quota_back_when_the_shared_limit_times_out() -> None:
    clock = FakeClock()
    quota = QuotaManager(
        RateLimiter(clock=clock, sleep=clock.wait, requests_per_second=1),
        per_tenant={"requests_per_day": 5},
    )
    r = await quota.check_and_wait(tenant="a")
    await r.asettle(tokens=0)
    with pytest.raises(RateLimitTimeout):
        await quota.check_and_wait(tenant="a", timeout=0)
    assert quota.tenant_stats("a")[0].remaining == pytest.approx(4, abs=0.01)


async def test_would_wait_counts_the_tenants_own_quota() -> None:
    clock = FakeClock()
    quota = QuotaManager(
        RateLimiter(clock=clock, sleep=clock.wait, tokens_per_minute=1_000_000),
        per_tenant={"tokens_per_day": 10_000},
    )
    await quota.check_and_wait(tokens=10_000, tenant="team-a")
    assert quota.would_wait_longer_than(60.0, tokens=5_000, tenant="team-a")
    assert await quota.awould_wait_longer_than(60.0, tokens=5_000, tenant="team-a")
    assert not quota.would_wait_longer_than(60.0, tokens=5_000, tenant="team-b")


async def test_the_forecast_counts_settled_usage_not_estimates() -> None:
    clock = FakeClock()
    quota = manager(clock, tokens_per_day=10_000_000)
    for _ in range(10):
        r = await quota.check_and_wait(tokens=10_000)
        r.settle(tokens=1_000)  # a tenth of the estimate
        await clock.aadvance(6.0)
    settled = quota.get_stats().rate_per_second["tokens"]
    clock2 = FakeClock()
    honest = manager(clock2, tokens_per_day=10_000_000)
    for _ in range(10):
        await honest.check_and_wait(tokens=1_000)
        await clock2.aadvance(6.0)
    assert settled == pytest.approx(honest.get_stats().rate_per_second["tokens"], rel=0.02)
    r = await quota.check_and_wait(tokens=10_000)
    r.give_back()  # a call not made counts nothing
    assert quota.get_stats().rate_per_second["tokens"] == pytest.approx(settled, rel=0.02)


async def test_a_wait_with_a_negative_timeout_is_refused() -> None:
    quota = manager(FakeClock(), requests_per_second=1)
    with pytest.raises(ConfigurationError, match="timeout=-1 must be a number of seconds"):
        await quota.check_and_wait(timeout=-1)
    assert quota.limiter.stats()[0].in_use == 0


async def test_a_wait_given_back_settles_nothing_more() -> None:
    clock = FakeClock()
    quota = QuotaManager(
        RateLimiter(clock=clock, sleep=clock.wait, tokens_per_day=100_000),
        per_tenant={"tokens_per_day": 10_000},
    )
    r = await quota.check_and_wait(tokens=4_000, tenant="team-a")
    assert r.give_back().tokens == -4_000
    rate = quota.get_stats().rate_per_second["tokens"]
    assert r.give_back().tokens == 0  # the second time: nothing left to give
    assert r.settle(tokens=9_000).tokens == 0
    assert (await r.asettle(tokens=9_000)).tokens == 0
    assert quota.get_stats().rate_per_second["tokens"] == rate  # the forecast heard nothing
    assert quota.tenant_stats("team-a")[0].remaining == pytest.approx(10_000)
    assert quota.limiter.stats()[0].remaining == pytest.approx(100_000)

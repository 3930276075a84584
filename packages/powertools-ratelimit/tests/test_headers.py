"""Provider headers: durations, timestamps, implausible values, and learning from them."""

from __future__ import annotations

import asyncio
import itertools
import logging
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from powertools.ratelimit import Limit, RateLimiter, parse_duration, parse_rate_limit_headers
from powertools.ratelimit._adaptive import Learnt
from powertools.ratelimit._headers import parse_retry_after
from powertools.ratelimit.testing import FakeClock

NOW = 1_750_000_000.0


@given(
    h=st.integers(0, 23),
    m=st.integers(0, 59),
    s=st.integers(0, 59),
    ms=st.integers(0, 999),
)
def test_go_durations_round_trip(h: int, m: int, s: int, ms: int) -> None:
    text = (f"{h}h" if h else "") + (f"{m}m" if h or m else "") + f"{s}s"
    assert parse_duration(text) == pytest.approx(h * 3600 + m * 60 + s)
    assert parse_duration(f"{ms}ms") == pytest.approx(ms / 1000)


@given(st.text(max_size=12))
def test_any_text_parses_or_is_ignored(text: str) -> None:
    value = parse_duration(text)
    assert value is None or value >= 0
    reading = parse_rate_limit_headers(
        {"x-ratelimit-limit-tokens": text, "anthropic-ratelimit-tokens-reset": text}, NOW
    )
    for seen in reading.dimensions.values():
        assert seen.limit is None or seen.limit > 0
        assert seen.reset_seconds is None or 0 <= seen.reset_seconds <= 86400


@given(seconds=st.integers(0, 86400), limit=st.integers(1, 10**9), used=st.integers(0, 10**9))
def test_anthropic_timestamps_become_seconds(seconds: int, limit: int, used: int) -> None:
    reset = datetime.fromtimestamp(NOW, UTC) + timedelta(seconds=seconds)
    headers = {
        "anthropic-ratelimit-input-tokens-limit": str(limit),
        "anthropic-ratelimit-input-tokens-remaining": str(max(limit - used, 0)),
        "anthropic-ratelimit-input-tokens-reset": reset.isoformat().replace("+00:00", "Z"),
    }
    seen = parse_rate_limit_headers(headers, NOW).dimensions["input_tokens"]
    assert seen.limit == limit
    assert seen.remaining == max(limit - used, 0)
    assert seen.reset_seconds == pytest.approx(seconds, abs=1e-3)


def test_implausible_values_are_ignored() -> None:
    reading = parse_rate_limit_headers(
        {
            "x-ratelimit-limit-requests": "-5",
            "x-ratelimit-remaining-tokens": "900",
            "x-ratelimit-limit-tokens": "100",  # remaining above the limit: not trusted
            "x-ratelimit-reset-tokens": "48h0m0s",  # longer than a day
            "anthropic-ratelimit-requests-reset": "2025-01-01T00:00:00",  # no time zone
            "retry-after": "soon",
        },
        NOW,
    )
    assert reading.dimensions["tokens"].remaining is None
    assert reading.dimensions["tokens"].reset_seconds is None
    assert "requests" not in reading.dimensions
    assert reading.retry_after is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", NOW) is None  # long past
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470.0) == 10.0


def make(clock: FakeClock, **limits: float) -> RateLimiter:
    return RateLimiter(clock=clock, sleep=clock.wait, wall_clock=lambda: NOW, **limits)


async def test_no_limits_until_learnt_from_openai_headers() -> None:
    clock = FakeClock()
    limiter = make(clock)
    assert limiter.limits == ()
    limiter.observe(
        {
            "x-ratelimit-limit-requests": "60",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "2s",
            "x-ratelimit-limit-tokens": "150000",
            "x-ratelimit-remaining-tokens": "149000",
            "x-ratelimit-reset-tokens": "400ms",
        },
        status_code=200,
    )
    assert {(x.name, x.limit) for x in limiter.limits} == {
        ("requests_per_minute", 60.0),
        ("tokens_per_minute", 150000.0),
    }
    assert limiter.estimate_wait() == pytest.approx(2.0)  # none left until the reset


async def test_learnt_limits_lower_and_raise_configured_ones() -> None:
    clock = FakeClock()
    limiter = make(clock, requests_per_minute=100)
    limiter.observe({"anthropic-ratelimit-requests-limit": "500"})
    assert limiter.limits[0].limit == 500
    limiter.observe({"anthropic-ratelimit-requests-limit": "50"})
    assert limiter.limits[0].limit == 50


def test_observed_limits_raise_published_ones_within_the_ceiling() -> None:
    limiter = RateLimiter.for_provider("openai", "gpt-4o")  # published: 500 RPM, 30,000 TPM
    limiter.observe(
        {"x-ratelimit-limit-requests": "10000", "x-ratelimit-limit-tokens": "30000000"}, 200
    )
    assert [(x.name, x.limit) for x in limiter.limits] == [
        ("requests_per_minute", 10_000),
        ("tokens_per_minute", 30_000_000),
    ]
    with limiter.acquire(tokens=100_000):  # larger than the published limit: fits now
        pass
    capped = RateLimiter.for_provider(
        "openai", "gpt-4o", learn_ceiling={"requests_per_minute": 2_000}
    )
    capped.observe({"x-ratelimit-limit-requests": "10000"}, 200)
    assert capped.limits[0].limit == 500  # above the ceiling given: not believed


def test_implausible_limits_are_ignored_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RateLimiter.for_provider("openai", "gpt-4o")
    with caplog.at_level(logging.WARNING, logger="powertools.ratelimit"):
        limiter.observe({"x-ratelimit-limit-tokens": "100"}, 200)
    assert limiter.limits[1].limit == 30_000
    assert "ignored a tokens limit of 100 per minute" in caplog.text
    with limiter.acquire(tokens=20_000):  # a large request still fits: nothing learnt
        pass


async def test_the_rate_recovers_after_a_429_without_more_responses() -> None:
    clock = FakeClock()
    limiter = make(clock, requests_per_second=10)
    limiter.observe({"retry-after": "1"}, status_code=429)
    assert limiter._cells.scale == pytest.approx(0.5)
    served: list[float] = []

    async def one() -> None:
        async with limiter.acquire():
            served.append(clock())

    tasks = [asyncio.create_task(one()) for _ in range(400)]
    await clock.aadvance(30.0)  # no observe() in between: the timer brings the rate back
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    assert limiter._cells.scale == 1.0
    late = [t for t in served if t >= 25.0]
    gaps = [b - a for a, b in itertools.pairwise(late)]
    assert gaps
    assert max(gaps) == pytest.approx(0.1, abs=1e-6)  # the full 10/s again


async def test_429_halves_the_rate_waits_and_recovers_additively() -> None:
    clock = FakeClock()
    limiter = make(clock, requests_per_second=10)
    limiter.observe({"retry-after": "3"}, status_code=429)
    assert limiter.estimate_wait() == pytest.approx(3.0)
    await clock.aadvance(3.0)
    limiter.observe({}, status_code=200)
    assert limiter._cells.scale == pytest.approx(0.5 + 0.05 * 3)
    for _ in range(3):  # repeated 429s go down multiplicatively, to a floor
        limiter.observe(status_code=429)
    assert limiter._cells.scale < 0.1
    await clock.aadvance(30.0)
    limiter.observe(status_code=200)
    assert limiter._cells.scale == 1.0


async def test_retry_after_alone_pauses_everyone() -> None:
    clock = FakeClock()
    limiter = make(clock, requests_per_second=10)
    limiter.observe({"Retry-After": "1.5"}, status_code=503)
    waiter = asyncio.create_task(limiter.acquire().__aenter__())
    await clock.aadvance(1.4)
    assert not waiter.done()
    await clock.aadvance(0.2)
    assert waiter.done()


def test_a_reset_that_just_passed_is_now_and_a_zero_limit_is_no_limit() -> None:
    just_passed = datetime.fromtimestamp(NOW - 0.5, UTC).isoformat()
    reading = parse_rate_limit_headers(
        {
            "anthropic-ratelimit-tokens-limit": "90000",
            "anthropic-ratelimit-tokens-remaining": "0",
            "anthropic-ratelimit-tokens-reset": just_passed,  # the clocks differ a little
            "x-ratelimit-limit-requests": "0",  # no account has a limit of nothing
            "x-ratelimit-remaining-requests": "0",
        },
        NOW,
    )
    assert reading.dimensions["tokens"].reset_seconds == 0.0
    assert reading.dimensions["requests"].limit is None
    assert reading.dimensions["requests"].remaining == 0
    assert parse_retry_after("-0.5", NOW) == 0.0


async def test_a_remaining_of_nothing_without_a_limit_still_waits_for_the_reset() -> None:
    clock = FakeClock()
    limiter = make(clock, requests_per_minute=600)
    limiter.observe({"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "2s"})
    assert [(x.name, x.limit) for x in limiter.limits] == [("requests_per_minute", 600)]
    assert limiter.estimate_wait() == pytest.approx(2.0)


def test_an_implausible_limit_is_logged_once_and_the_memory_of_it_is_bounded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    learnt = Learnt((Limit("tokens", 30_000, 60.0),))
    with caplog.at_level(logging.WARNING, logger="powertools.ratelimit"):
        assert not learnt.offer("tokens", 100)
        assert not learnt.offer("tokens", 100)  # every response says it again: logged once
    assert caplog.text.count("ignored a tokens limit of 100 per minute") == 1
    for value in range(1, 1100):  # a provider sending a new odd value each time
        learnt.offer("tokens", value / 1000)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="powertools.ratelimit"):
        learnt.offer("tokens", 2.0)
        learnt.offer("tokens", 2.0)  # past the first 1,024 values nothing more is remembered
    assert caplog.text.count("ignored a tokens limit of 2 per minute") == 2
    assert len(learnt._logged) == 1024
    assert learnt.values == {}

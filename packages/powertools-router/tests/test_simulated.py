"""The simulated provider: deterministic, realistic, and failing exactly as profiled."""

from __future__ import annotations

import asyncio

import pytest

from powertools.retry import ErrorCategory
from powertools.retry.testing import FakeClock
from powertools.router import (
    FailureProfile,
    Provider,
    ProviderError,
    Request,
    SimulatedModel,
    SimulatedProvider,
    load_provider,
)
from powertools.router.providers.simulated import DEFAULT_MODELS, local_stand_in


def request(model: str = "gpt-4o-mini", **options: object) -> Request:
    return Request.of("Write a function that adds two numbers", model=model, **options)  # type: ignore[arg-type]


async def test_is_a_provider_registered_under_its_entry_point() -> None:
    sim = load_provider("simulated", latency_scale=0)
    assert isinstance(sim, Provider)
    assert sim.name == "simulated"
    assert (await sim.health()).ok


async def test_the_same_seed_gives_the_same_answers() -> None:
    a, b = SimulatedProvider(seed=3, latency_scale=0), SimulatedProvider(seed=3, latency_scale=0)
    first = [await a.complete(request()) for _ in range(5)]
    second = [await b.complete(request()) for _ in range(5)]
    assert [r.text for r in first] == [r.text for r in second]
    assert [r.usage for r in first] == [r.usage for r in second]
    other = SimulatedProvider(seed=4, latency_scale=0)
    assert [(await other.complete(request())).text for _ in range(5)] != [r.text for r in first]


async def test_latency_follows_the_model_through_an_injected_clock() -> None:
    clock = FakeClock()
    model = SimulatedModel("m", ttft=0.5, jitter=0.0, tokens_per_second=100.0, answer_tokens=200)
    sim = SimulatedProvider([model], seed=1, sleep=clock.asleep, clock=clock)
    response = await sim.complete(request("m", max_tokens=10_000))
    assert response.timings.ttft == pytest.approx(0.5)
    words = response.usage.output
    assert response.timings.total == pytest.approx(0.5 + words / 100.0)
    assert response.timings.output_tokens_per_second == pytest.approx(100.0)


async def test_max_tokens_truncates_and_says_length() -> None:
    sim = SimulatedProvider(seed=0, latency_scale=0)
    response = await sim.complete(request(max_tokens=3))
    assert response.usage.output == 3
    assert response.finish_reason == "length"


async def test_stream_ends_with_the_full_response() -> None:
    sim = SimulatedProvider(seed=0, latency_scale=0)
    chunks = [c async for c in sim.stream(request())]
    assert chunks[-1].done
    assert chunks[-1].response is not None
    assert "".join(c.text for c in chunks[:-1]).strip() == chunks[-1].response.text


@pytest.mark.parametrize(
    ("profile", "status", "category"),
    [
        (FailureProfile(rate_limit=1.0, retry_after=7.0), 429, ErrorCategory.RATE_LIMIT),
        (FailureProfile(server_error=1.0), 503, ErrorCategory.TRANSIENT),
    ],
)
async def test_failures_come_with_their_status_category_and_wait(
    profile: FailureProfile, status: int, category: ErrorCategory
) -> None:
    sim = SimulatedProvider([SimulatedModel("m", failures=profile)], latency_scale=0)
    with pytest.raises(ProviderError) as caught:
        await sim.complete(request("m"))
    assert caught.value.status_code == status
    assert caught.value.category is category
    if status == 429:
        assert caught.value.retry_after == 7.0


async def test_a_hang_lasts_until_the_request_timeout() -> None:
    clock = FakeClock()
    sim = SimulatedProvider(
        [SimulatedModel("m", failures=FailureProfile(hang=1.0))], sleep=clock.asleep, clock=clock
    )
    with pytest.raises(ProviderError) as caught:
        await sim.complete(request("m", timeout=4.0))
    assert caught.value.category is ErrorCategory.TIMEOUT
    assert clock.now == 4.0
    with pytest.raises(TimeoutError):  # no timeout: it hangs until the caller gives up
        await asyncio.wait_for(sim.complete(request("m")), 0.01)


async def test_a_dropped_stream_says_how_much_was_delivered() -> None:
    sim = SimulatedProvider(
        [SimulatedModel("m", answer_tokens=40, failures=FailureProfile(drop_stream=1.0))],
        latency_scale=0,
    )
    seen: list[str] = []

    async def read() -> None:
        async for chunk in sim.stream(request("m")):
            seen.append(chunk.text)

    with pytest.raises(ProviderError) as caught:
        await read()
    assert caught.value.delivered_chars == len("".join(seen)) > 0


async def test_an_unknown_model_is_a_404_naming_the_known_ones() -> None:
    sim = SimulatedProvider(latency_scale=0)
    with pytest.raises(ProviderError, match="known: gpt-4o-mini") as caught:
        await sim.complete(request("nope"))
    assert caught.value.status_code == 404


def test_profiles_are_validated() -> None:
    with pytest.raises(ValueError, match=r"FailureProfile\.hang=2"):
        FailureProfile(hang=2)
    with pytest.raises(ValueError, match="latency_scale"):
        SimulatedProvider(latency_scale=-1)


async def test_defaults_have_cloud_and_local_models_and_stand_ins_are_local() -> None:
    infos = await SimulatedProvider().models()
    assert {i.local for i in infos} == {True, False}
    assert len(infos) == len(DEFAULT_MODELS)
    stand_in = local_stand_in("mistral:7b").info("simulated")
    assert stand_in.local
    assert stand_in.parameter_count == 7_000_000_000


async def test_set_failures_what_ifs_an_outage() -> None:
    sim = SimulatedProvider(latency_scale=0)
    sim.set_failures("gpt-4o", FailureProfile(server_error=1.0))
    with pytest.raises(ProviderError):
        await sim.complete(request("gpt-4o"))
    assert (await sim.complete(request("gpt-4o-mini"))).text

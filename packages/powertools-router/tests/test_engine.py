"""The decision engine: its filters, its choice, and hypothesis properties of both."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from powertools.cost import PriceBook
from powertools.router import Candidate, Capabilities, Needs, State, decide
from powertools.router._catalog import quality_at

BOOK = PriceBook()


def candidate(
    i: int,
    *,
    input_per_m: str = "1",
    output_per_m: str = "2",
    quality: float = 0.8,
    local: bool = False,
    context: int = 128_000,
    tools: bool = True,
    ttft: float = 0.5,
    speed: float = 80.0,
) -> Candidate:
    price = BOOK.set_price(f"m{i}", input=input_per_m, output=output_per_m)
    return Candidate(
        provider="p",
        model=f"m{i}",
        local=local,
        context_window=context,
        max_output=8_000,
        capabilities=Capabilities(tools=tools, vision=False, json_schema=True),
        price=price,
        quality=quality,
        ttft=ttft,
        tokens_per_second=speed,
    )


NEEDS = Needs(prompt_tokens=1_000, max_tokens=1_000, complexity=0.5, required_quality=0.7)


def test_the_cheapest_that_meets_the_bar_wins_not_the_best() -> None:
    cheap_ok = candidate(1, input_per_m="0.5", output_per_m="1", quality=0.75)
    dear_best = candidate(2, input_per_m="10", output_per_m="30", quality=0.95)
    cheap_bad = candidate(3, input_per_m="0.1", output_per_m="0.2", quality=0.5)
    d = decide(NEEDS, [dear_best, cheap_bad, cheap_ok])
    assert [s.candidate.model for s in d.ranked] == ["m1", "m2", "m3"]
    assert d.chosen is not None
    assert d.chosen.meets_bar


def test_a_good_enough_local_model_wins() -> None:
    local = candidate(1, input_per_m="0", output_per_m="0", quality=0.72, local=True)
    cloud = candidate(2, input_per_m="0.1", output_per_m="0.4", quality=0.9)
    d = decide(NEEDS, [cloud, local])
    assert d.chosen is not None
    assert d.chosen.candidate.local


def test_nothing_meets_the_bar_degrades_to_the_closest() -> None:
    a = candidate(1, quality=0.6)
    b = candidate(2, quality=0.65, input_per_m="5", output_per_m="5")
    d = decide(replace(NEEDS, required_quality=0.9), [a, b])
    assert d.chosen is not None
    assert d.chosen.candidate.model == "m2"
    assert "nothing meets the bar" in d.explain()


def test_filters_say_why() -> None:
    small = candidate(1, context=1_500)
    no_tools = candidate(2, tools=False)
    dear = candidate(3, input_per_m="100", output_per_m="100")
    broken = candidate(4)
    waits = candidate(5)
    needs = replace(NEEDS, tools=True, budget_fd=10**12 * 50, time_left=5.0)
    states = {
        broken.key: State(breaker="open", breaker_wait=12.0),
        waits.key: State(rate_wait=30.0),
    }
    d = decide(needs, [small, no_tools, dear, broken, waits], states)
    reasons = {x.candidate.model: x.reason for x in d.dropped}
    assert "context window 1,500 tokens" in reasons["m1"]
    assert reasons["m2"] == "cannot call tools"
    assert "budget left $0.05" in reasons["m3"]
    assert "probe-able in 12.0 s" in reasons["m4"]
    assert "rate limit wait ~30.0 s > the 5.0 s" in reasons["m5"]
    assert d.chosen is None
    text = d.explain()
    for model in ("m1", "m2", "m3", "m4", "m5"):
        assert f"p/{model}" in text


def test_a_breaker_past_its_recovery_time_is_probe_able_not_dead() -> None:
    c = candidate(1)
    d = decide(NEEDS, [c], {c.key: State(breaker="probe")})
    assert d.chosen is not None
    assert d.confidence < decide(NEEDS, [c]).confidence


def test_latency_bar_and_learned_latency() -> None:
    slow = candidate(1, input_per_m="0.1", output_per_m="0.1")
    fast = candidate(2)
    needs = replace(NEEDS, max_latency_ms=2_000)
    states = {slow.key: State(ttft=3.0)}
    d = decide(needs, [slow, fast], states)
    assert d.chosen is not None
    assert d.chosen.candidate.model == "m2"
    assert "too slow" in d.explain()


# ------------------------------------------------------------------ properties

prices = st.sampled_from(["0", "0.1", "0.5", "1", "2.5", "10", "15"])


@st.composite
def candidates(draw: st.DrawFn) -> list[Candidate]:
    n = draw(st.integers(1, 8))
    out = []
    for i in range(n):
        free = draw(st.booleans())
        out.append(
            candidate(
                i,
                input_per_m="0" if free else draw(prices),
                output_per_m="0" if free else draw(prices),
                quality=draw(st.floats(0.2, 0.99)),
                local=free,
                context=draw(st.sampled_from([4_000, 32_000, 128_000])),
                tools=draw(st.booleans()),
                ttft=draw(st.floats(0.05, 3.0)),
                speed=draw(st.floats(5.0, 200.0)),
            )
        )
    return out


@st.composite
def needs(draw: st.DrawFn) -> Needs:
    return Needs(
        prompt_tokens=draw(st.integers(1, 20_000)),
        max_tokens=draw(st.integers(1, 8_000)),
        complexity=draw(st.floats(0.0, 1.0)),
        required_quality=draw(st.floats(0.0, 1.0)),
        max_latency_ms=draw(st.none() | st.floats(100.0, 60_000.0)),
        max_cost_fd=draw(st.none() | st.integers(0, 10**14)),
        budget_fd=draw(st.none() | st.integers(0, 10**15)),
        tools=draw(st.booleans()),
    )


def _valid(n: Needs, c: Candidate) -> bool:
    out = min(n.max_tokens, c.max_output)
    worst = c.price.worst_case_fd(n.prompt_tokens, out)
    return (
        (c.capabilities.tools or not n.tools)
        and n.prompt_tokens + out <= c.context_window
        and (n.budget_fd is None or worst <= n.budget_fd)
        and (n.max_cost_fd is None or worst <= n.max_cost_fd)
    )


@settings(max_examples=300, deadline=None)
@given(needs(), candidates())
def test_never_picks_a_candidate_that_breaks_a_constraint_when_a_valid_one_exists(
    n: Needs, cs: list[Candidate]
) -> None:
    d = decide(n, cs)
    valid = [c for c in cs if _valid(n, c)]
    assert {s.candidate.key for s in d.ranked} == {c.key for c in valid}
    assert len(d.ranked) + len(d.dropped) == len(cs)
    if not valid:
        assert d.chosen is None
        return
    assert d.chosen is not None
    assert _valid(n, d.chosen.candidate)
    good = [s for s in d.ranked if s.meets_bar]
    if good:
        assert d.chosen.meets_bar
        assert d.chosen.cost_fd == min(s.cost_fd for s in good)
    assert 0.0 <= d.confidence <= 1.0


@settings(max_examples=300, deadline=None)
@given(needs(), candidates(), st.integers(0, 10**15), st.integers(0, 10**15))
def test_a_higher_budget_never_buys_a_pricier_model_when_a_cheaper_one_meets_the_bar(
    n: Needs, cs: list[Candidate], low: int, extra: int
) -> None:
    poor = decide(replace(n, budget_fd=low), cs).chosen
    rich = decide(replace(n, budget_fd=low + extra), cs).chosen
    if poor is None:
        return
    assert rich is not None
    if poor.meets_bar:
        assert rich.meets_bar
        assert rich.cost_fd <= poor.cost_fd
    elif not poor.meets_quality:
        assert rich.quality >= poor.quality


@settings(max_examples=200, deadline=None)
@given(needs(), candidates(), st.randoms(use_true_random=False))
def test_the_same_state_gives_the_same_decision_in_any_order(
    n: Needs, cs: list[Candidate], rng: random.Random
) -> None:
    first = decide(n, cs)
    shuffled = list(cs)
    rng.shuffle(shuffled)
    again = decide(n, shuffled)
    assert first == decide(n, cs)
    assert [s.candidate.key for s in again.ranked] == [s.candidate.key for s in first.ranked]
    assert again.confidence == first.confidence
    assert again.explain() == first.explain()


# ----------------------------------------------- the fast path against a reference


def _reference(n: Needs, cs: list[Candidate], states: dict[str, State]) -> list[tuple]:
    """The engine's rules, written out plainly: (key, cost, worst, latency, quality) in rank
    order, kept candidates only."""
    kept = []
    for c in cs:
        s = states.get(c.key, State())
        out = min(n.max_tokens, c.max_output)
        worst = c.worst_case_fd(n.prompt_tokens, out)
        caps = c.capabilities
        if (
            s.blocked is not None
            or s.breaker == "open"
            or (n.tools and not caps.tools)
            or (n.vision and not caps.vision)
            or (n.json_schema and not caps.json_schema)
            or n.prompt_tokens + out > c.context_window
            or (n.max_cost_fd is not None and worst > n.max_cost_fd)
            or (n.budget_fd is not None and worst > n.budget_fd)
            or (n.time_left is not None and s.rate_wait > n.time_left)
        ):
            continue
        expected = min(n.expected_output, out)
        ttft = c.ttft if s.ttft is None else s.ttft
        speed = c.tokens_per_second if s.tokens_per_second is None else s.tokens_per_second
        latency = (s.rate_wait + ttft + expected / max(speed, 1e-6)) * 1000.0
        quality = quality_at(c.quality, n.complexity) if s.quality is None else s.quality
        meets_q = quality >= n.required_quality
        meets_l = n.max_latency_ms is None or latency <= n.max_latency_ms
        cost = c.expected_cost_fd(n.prompt_tokens, expected)
        kept.append((c.key, cost, worst, latency, quality, meets_q, meets_l))
    good = sorted((k for k in kept if k[5] and k[6]), key=lambda k: (k[1], -k[4], k[3], k[0]))
    rest = [k for k in kept if not (k[5] and k[6])]
    rest.sort(key=lambda k: (0, k[3], k[1], k[0]) if k[5] else (1, -k[4], k[1], k[0]))
    return [k[:5] for k in good + rest]


@st.composite
def states_for(draw: st.DrawFn, cs: list[Candidate]) -> dict[str, State]:
    out = {}
    for c in cs:
        if draw(st.booleans()):
            continue  # nothing observed: the prior
        out[c.key] = State(
            quality=draw(st.none() | st.floats(0.0, 1.0)),
            ttft=draw(st.none() | st.floats(0.01, 5.0)),
            tokens_per_second=draw(st.none() | st.floats(1.0, 300.0)),
            breaker=draw(st.sampled_from(["closed", "open", "probe", "half_open"])),
            blocked=draw(st.none() | st.just("auth failed")),
            rate_wait=draw(st.sampled_from([0.0, 0.5, 30.0])),
        )
    return out


@settings(max_examples=300, deadline=None)
@given(needs(), candidates(), st.data())
def test_the_fast_path_ranks_as_a_plain_reference_implementation(
    n: Needs, cs: list[Candidate], data: st.DataObject
) -> None:
    n = replace(n, time_left=data.draw(st.none() | st.floats(0.1, 60.0)))
    states = data.draw(states_for(cs)) if data.draw(st.booleans()) else {}
    chosen = decide(n, cs, states).chosen  # asked for alone: picked without the full sort
    d = decide(n, cs, states)
    got = [(s.candidate.key, s.cost_fd, s.worst_fd, s.latency_ms, s.quality) for s in d.ranked]
    assert got == _reference(n, cs, states)
    assert (chosen.candidate.key if chosen else None) == (got[0][0] if got else None)
    assert len(d) + len(d.dropped) == len(cs)


@settings(max_examples=200, deadline=None)
@given(
    needs(),
    candidates(),
    st.lists(
        st.tuples(st.integers(1, 20_000), st.none() | st.integers(0, 10**15)),
        min_size=1,
        max_size=8,
    ),
    st.data(),
)
def test_one_profile_reused_for_other_prompts_and_budgets_still_ranks_as_the_reference(
    n: Needs, cs: list[Candidate], requests: list[tuple[int, int | None]], data: st.DataObject
) -> None:
    """The choice comes from a plan made once per profile (``_plan``): requests that share
    the profile but not the prompt size, the budget left or what was observed must still
    choose what the plain rules choose."""
    for prompt, budget in requests:
        states = data.draw(states_for(cs)) if data.draw(st.booleans()) else {}
        asked = replace(n, prompt_tokens=prompt, budget_fd=budget)
        chosen = decide(asked, cs, states).chosen
        expected = _reference(asked, cs, states)
        assert (chosen.candidate.key if chosen else None) == (expected[0][0] if expected else None)
        if chosen is not None:
            first = expected[0]
            assert (chosen.cost_fd, chosen.worst_fd, chosen.latency_ms, chosen.quality) == first[1:]


def test_a_plan_follows_the_candidates_when_the_list_changes() -> None:
    cs = [candidate(1, input_per_m="5", output_per_m="5")]
    assert decide(NEEDS, cs).chosen.candidate.model == "m1"
    cs.append(candidate(2, input_per_m="1", output_per_m="1"))  # a cheaper one joins
    assert decide(NEEDS, cs).chosen.candidate.model == "m2"
    cs[1] = candidate(3, input_per_m="0.5", output_per_m="0.5")  # replaced in place
    assert decide(NEEDS, cs).chosen.candidate.model == "m3"


def test_the_rest_of_the_ranking_is_worked_out_when_first_asked_for() -> None:
    cs = [
        candidate(1, input_per_m="1", output_per_m="1"),
        candidate(2, input_per_m="2", output_per_m="2"),
        candidate(3, context=500),  # too small for the prompt: dropped, with the reason
    ]
    d = decide(NEEDS, cs)
    assert d.has(0)
    assert d.chosen.candidate.model == "m1"
    assert [s.candidate.model for s in d.ranked] == ["m1", "m2"]
    assert d.has(1)
    assert not d.has(2)
    assert len(d) == 2
    assert [x.candidate.model for x in d.dropped] == ["m3"]
    assert "context window" in d.dropped[0].reason


def test_a_long_prompt_picks_the_cheap_input_even_behind_a_cheaper_answer() -> None:
    """The plan scans by output cost first; a long prompt makes the input rate decide."""
    cheap_answer = candidate(1, input_per_m="10", output_per_m="0.1")
    cheap_input = candidate(2, input_per_m="0.1", output_per_m="2.5")
    long_prompt = replace(NEEDS, prompt_tokens=50_000)
    assert decide(long_prompt, [cheap_answer, cheap_input]).chosen.candidate.model == "m2"
    short_prompt = replace(NEEDS, prompt_tokens=10)
    assert decide(short_prompt, [cheap_answer, cheap_input]).chosen.candidate.model == "m1"


def test_images_and_schemas_drop_the_models_that_cannot_take_them() -> None:
    sees = replace(candidate(1), capabilities=Capabilities(tools=True, vision=True))
    blind = candidate(2)  # vision=False, json_schema=True
    d = decide(replace(NEEDS, vision=True, json_schema=True), [sees, blind])
    reasons = {x.candidate.model: x.reason for x in d.dropped}
    assert reasons == {"m1": "cannot follow a JSON schema", "m2": "cannot read images"}
    assert d.chosen is None


def test_the_expected_answer_length_is_the_caller_s_estimate_capped_by_max_tokens() -> None:
    assert replace(NEEDS, output_tokens=300).expected_output == 300
    assert replace(NEEDS, output_tokens=5_000).expected_output == NEEDS.max_tokens
    assert NEEDS.expected_output <= NEEDS.max_tokens


def test_a_decision_equals_the_same_decision_and_nothing_else() -> None:
    cs = [candidate(1), candidate(2, quality=0.9)]
    assert decide(NEEDS, cs) == decide(NEEDS, list(reversed(cs)))
    assert decide(NEEDS, cs) != "p/m1"
    assert decide(NEEDS, cs) != decide(replace(NEEDS, required_quality=0.85), cs)


@settings(max_examples=60, deadline=None)
@given(candidates(), st.integers(1, 400_000), st.floats(0.0, 1.0), st.data())
def test_a_context_tiered_price_is_ranked_by_the_prompts_tier_through_the_plan_too(
    cs: list[Candidate], prompt: int, bar: float, data: st.DataObject
) -> None:
    """Candidates whose price has context tiers are scored per request beside the plan."""
    from powertools.router import Catalog, ModelInfo

    sonnet = Catalog().candidate(ModelInfo("claude-sonnet-4-5", "anthropic"))
    everyone = [*cs, sonnet]
    n = Needs(prompt_tokens=prompt, max_tokens=1_000, complexity=0.5, required_quality=bar)
    states = data.draw(states_for(everyone)) if data.draw(st.booleans()) else {}
    for _ in range(2):  # the second decision comes from the profile's plan
        chosen = decide(n, everyone, states).chosen
        expected = _reference(n, everyone, states)
        assert (chosen.candidate.key if chosen else None) == (expected[0][0] if expected else None)


def test_the_plan_tables_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from powertools.router import _plan

    monkeypatch.setattr(_plan, "_MAX_PLANS", 2)
    monkeypatch.setattr(_plan, "_MAX_SEEN", 3)
    monkeypatch.setattr(_plan, "_PLANS", {})
    monkeypatch.setattr(_plan, "_SEEN", set())
    cs = [candidate(1), candidate(2, input_per_m="0.5")]
    for i in range(6):
        n = replace(NEEDS, complexity=i / 10)
        decide(n, cs)
        assert decide(n, cs).chosen.candidate.model == "m2"  # the cheaper one meets the bar
        assert len(_plan._PLANS) <= 2
        assert len(_plan._SEEN) <= 3

"""Edge paths of the router's own layers: the stack wiring, the cache, rate limits, setup."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from powertools.router import ConfigurationError, LLMRouter
from powertools.router._cache import ResponseCache
from powertools.router._limits import RateLimits, ratelimit_installed
from powertools.router._stack import ContextTraceLogger, build
from powertools.router.testing import FakeClock


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def info(self, event: str, **fields: Any) -> None:
        self.events.append(("info", event, fields))

    def warning(self, event: str, **fields: Any) -> None:
        self.events.append(("warning", event, fields))

    def error(self, event: str, **fields: Any) -> None:
        self.events.append(("error", event, fields))

    def bind(self, **fields: Any) -> str:
        return f"bound {sorted(fields)}"


def test_inside_a_logging_context_the_stack_s_trace_id_wins_and_the_router_s_is_kept() -> None:
    logging = pytest.importorskip("powertools.logging")
    recorder = Recorder()
    logger = ContextTraceLogger(recorder)
    logger.info("outside", trace_id="r1")
    with logging.context(trace_id="stack-trace"):
        logger.info("router.route", trace_id="r2", model="m")
        logger.warning("router.attempt", trace_id="r3")
        logger.error("router.failed", trace_id="r4")
    assert recorder.events == [
        ("info", "outside", {"trace_id": "r1"}),
        ("info", "router.route", {"route_id": "r2", "model": "m"}),
        ("warning", "router.attempt", {"route_id": "r3"}),
        ("error", "router.failed", {"route_id": "r4"}),
    ]
    assert logger.bind(a=1) == "bound ['a']"  # anything else goes to the stack's logger


def test_the_stack_builds_the_router_with_the_retry_policy_s_breakers_and_its_logger() -> None:
    class Retry:
        failure_threshold = 3
        recovery_timeout = 12.5

    recorder = Recorder()
    router = build(
        {"deadline": 7, "explore": 0, "hedge": True}, {"retry": Retry(), "logging": recorder}
    )
    assert router.deadline == 7.0
    assert router.hedge
    assert router.learner.explore == 0
    breakers = router._layers.breakers
    assert (breakers.failure_threshold, breakers.recovery_timeout) == (3, 12.5)
    assert isinstance(router.logger, ContextTraceLogger)


def test_the_cache_refuses_a_ttl_that_is_not_positive() -> None:
    with pytest.raises(ConfigurationError, match="cache_ttl=0"):
        ResponseCache(0)


def test_the_cache_forgets_an_expired_answer_and_keeps_at_most_max_entries() -> None:
    clock = FakeClock()
    cache = ResponseCache(10, clock=clock)
    cache.max_entries = 2
    cache.put("a", 1)
    clock.advance(11)
    assert cache.get("a") is None  # expired: dropped
    assert cache.misses == 1
    for key in ("b", "c", "d"):
        cache.put(key, key)
    assert cache.get("b") is None  # the oldest went when the third came
    assert (cache.get("c"), cache.get("d")) == ("c", "d")


def test_a_shared_cache_store_without_powertools_session_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "powertools.session._backend", None)
    with pytest.raises(ConfigurationError, match=r"powertools-router\[session\]"):
        ResponseCache(10, store="memory://")


def test_without_powertools_ratelimit_nothing_is_limited_and_asking_for_limits_says_why(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "powertools.ratelimit", None)
    assert not ratelimit_installed()
    assert not RateLimits().enabled
    assert RateLimits().expected_wait("openai", "gpt-4o", 100) == 0.0
    with pytest.raises(ConfigurationError, match=r"powertools-router\[ratelimit\]"):
        RateLimits(enabled=True)
    with pytest.raises(ConfigurationError, match=r"powertools-router\[ratelimit\]"):
        LLMRouter(rate_limits=True)


async def test_local_families_that_do_not_load_are_noted_when_local_models_are_asked_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from powertools.router import _setup

    def broken(name: str, **options: Any) -> Any:
        raise RuntimeError(f"{name} cannot load here")

    monkeypatch.setattr(_setup, "load_provider", broken)
    setup = await _setup.resolve(
        providers=[], local_models=["llama3.2:3b"], cloud_providers=[], seed=0
    )
    assert "ollama: not available (ollama cannot load here)" in setup.notes
    assert "llamacpp: not available (llamacpp cannot load here)" in setup.notes
    assert setup.local is None
    assert setup.simulated  # nothing real: the simulated stand-ins
    for provider in setup.providers:
        await provider.aclose()


class ConflictError(Exception):
    """Named as the session stores name a lost compare-and-swap."""


class DictStore:
    """A learning store in a dict; ``conflicts`` swaps fail before one succeeds."""

    def __init__(self, conflicts: int = 0) -> None:
        self.evidence: dict[str, Any] = {}
        self.version = 0
        self.conflicts = conflicts
        self.swaps = 0

    async def load(self) -> tuple[dict[str, Any], int]:
        return dict(self.evidence), self.version

    async def swap(self, evidence: dict[str, Any], expected: int) -> int:
        self.swaps += 1
        if self.conflicts > 0:
            self.conflicts -= 1
            raise ConflictError("someone else wrote first")
        assert expected == self.version
        self.evidence, self.version = dict(evidence), self.version + 1
        return self.version


def test_a_learning_store_url_without_powertools_session_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "powertools.session._backend", None)
    with pytest.raises(ConfigurationError, match=r"powertools-router\[session\]"):
        LLMRouter(learning_store="memory://")


async def test_a_store_that_keeps_conflicting_gives_up_with_a_clear_error() -> None:
    from powertools.router import Learner

    store = DictStore(conflicts=10**6)
    learner = Learner(explore=0, store=store)
    learner.update("p/m", 0.5, 1.0)
    with pytest.raises(RuntimeError, match="kept conflicting"):
        await learner.sync(attempts=3)
    assert store.swaps == 3
    assert learner.dirty  # the evidence is still pending for the next write


async def test_feedback_inside_a_loop_writes_the_evidence_in_the_background() -> None:
    import asyncio

    from powertools.router import SimulatedProvider

    store = DictStore(conflicts=1)  # one lost race first: retried
    router = LLMRouter(
        providers=[SimulatedProvider(latency_scale=0)], explore=0, learning_store=store
    )
    result = await router.route(task="hello", complexity=0.3)
    router.feedback(result, 0.0)
    await asyncio.gather(*router._background)
    assert result.key in str(store.evidence)
    assert not router.learner.dirty
    await router.aclose()


def test_feedback_without_a_loop_keeps_the_evidence_pending() -> None:
    from powertools.router import SimulatedProvider

    store = DictStore()
    router = LLMRouter(
        providers=[SimulatedProvider(latency_scale=0)], explore=0, learning_store=store
    )
    result = router.route_sync("hello", complexity=0.3)
    router.feedback(result, 1.0)  # no running loop here: nothing is written yet
    assert router.learner.dirty
    router.close()  # aclose() flushes it
    assert result.key in str(store.evidence)


def test_any_failure_of_a_call_becomes_one_classified_provider_error() -> None:
    from powertools.router import Needs, ProviderError, decide
    from powertools.router._attempt import as_provider_error
    from powertools.router._catalog import Catalog
    from powertools.router.providers.simulated import DEFAULT_MODELS

    candidates = [Catalog().candidate(m.info("simulated")) for m in DEFAULT_MODELS[:1]]
    scored = decide(Needs(10, 10, 0.1, 0.0), candidates).chosen
    assert scored is not None
    error = as_provider_error(scored, ConnectionResetError("peer reset"))
    assert isinstance(error, ProviderError)
    assert error.message == "ConnectionResetError: peer reset"
    assert (error.provider, error.model) == ("simulated", candidates[0].model)
    assert isinstance(error.__cause__, ConnectionResetError)
    assert as_provider_error(scored, error) is error


async def test_a_stream_takes_complexity_score_too() -> None:
    from powertools.router import SimulatedProvider

    router = LLMRouter(providers=[SimulatedProvider(latency_scale=0)], explore=0)
    stream = router.route_stream("hello", complexity_score=0.2, required_quality=0.2)
    text = "".join([piece async for piece in stream])
    assert text.strip() == stream.result.text  # (the simulated stream ends with a space)
    assert stream.result.complexity == 0.2


async def test_a_stream_whose_key_failed_skips_that_provider_s_other_models(
    scripted: Any,
) -> None:
    from powertools.router import AllProvidersFailedError

    cloud = scripted("openai", ["gpt-4o-mini", "gpt-4o"], script=[401])
    router = LLMRouter(providers=[cloud], cloud_providers=[], explore=0, rate_limits=False)
    with pytest.raises(AllProvidersFailedError) as caught:
        async for _ in router.route_stream("hello", complexity=0.2):
            pass
    outcomes = [(a.model, a.outcome) for a in caught.value.attempts]
    assert outcomes == [("gpt-4o-mini", "failed"), ("gpt-4o", "skipped")]
    assert "check the key" in caught.value.attempts[1].reason
    assert cloud.calls == ["gpt-4o-mini"]  # the second model was never sent

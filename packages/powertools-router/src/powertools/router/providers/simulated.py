"""The ``simulated`` provider family: realistic models with no network, deterministic given a seed.

A first-class provider, not a test stub: each :class:`SimulatedModel` has a latency
distribution (time to first token, log-normal), a generation speed, a context window, a price
(looked up in ``powertools.cost`` under its own name, so a stand-in for ``gpt-4o-mini`` costs
what ``gpt-4o-mini`` costs) and a :class:`FailureProfile` (429 with a retry-after, 5xx, hangs,
a stream dropped mid-way). ``powertools demo``, the router's defaults when nothing real is
configured, and users' offline tests run on it.

Every call draws from one ``random.Random(seed)``, so the same sequence of calls gives the same
answers, latencies and faults. ``latency_scale=0`` answers at once; ``sleep=`` takes a fake
clock's sleep.

>>> import asyncio
>>> from powertools.router import Request
>>> sim = SimulatedProvider(seed=7, latency_scale=0)
>>> r = asyncio.run(sim.complete(Request.of("Say hi", model="gpt-4o-mini", max_tokens=8)))
>>> r.provider, r.model, r.usage.output <= 8
('simulated', 'gpt-4o-mini', True)
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace

from powertools.cost import Usage
from powertools.retry import ErrorCategory
from powertools.router._request import Chunk, FinishReason, Request, Response, Timings
from powertools.router.errors import ConfigurationError, ProviderError
from powertools.router.providers._base import Capabilities, Health, HealthStatus, ModelInfo

__all__ = ["DEFAULT_MODELS", "FailureProfile", "SimulatedModel", "SimulatedProvider"]

_WORDS = [
    "the",
    "answer",
    "uses",
    "a",
    "small",
    "function",
    "that",
    "reads",
    "the",
    "input",
    "checks",
    "each",
    "value",
    "and",
    "returns",
    "a",
    "clear",
    "result",
    "with",
    "tests",
    "for",
    "the",
    "edge",
    "cases",
    "so",
    "the",
    "code",
    "stays",
    "simple",
    "and",
    "correct",
]


@dataclass(slots=True, frozen=True)
class FailureProfile:
    """How often a simulated model fails, and how (each a probability per call, in [0, 1]).

    ``rate_limit`` answers 429 with ``retry_after`` seconds; ``server_error`` answers 503;
    ``hang`` never answers (until the request's timeout, then a timeout error);
    ``drop_stream`` cuts a stream after about half of its text.
    """

    rate_limit: float = 0.0
    retry_after: float = 1.0
    server_error: float = 0.0
    hang: float = 0.0
    drop_stream: float = 0.0

    def __post_init__(self) -> None:
        for name in ("rate_limit", "server_error", "hang", "drop_stream"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigurationError(
                    f"FailureProfile.{name}={value!r} must be a probability in [0, 1]"
                )


@dataclass(slots=True, frozen=True)
class SimulatedModel:
    """One simulated model: its facts, its speed and its failures.

    ``ttft`` is the median time to the first token in seconds (log-normal with ``jitter`` as
    sigma); ``tokens_per_second`` the generation speed; ``answer_tokens`` the typical answer
    length when ``max_tokens`` allows it.
    """

    id: str
    local: bool = False
    context_window: int = 128_000
    max_output: int = 16_384
    capabilities: Capabilities = field(default_factory=lambda: Capabilities(True, False, True))
    ttft: float = 0.4
    jitter: float = 0.25
    tokens_per_second: float = 80.0
    answer_tokens: int = 120
    parameter_count: int | None = None
    quantization: str | None = None
    failures: FailureProfile = field(default_factory=FailureProfile)

    def info(self, provider: str) -> ModelInfo:
        """This model as a provider lists it."""
        return ModelInfo(
            self.id,
            provider,
            local=self.local,
            context_window=self.context_window,
            max_output=self.max_output,
            capabilities=self.capabilities,
            parameter_count=self.parameter_count,
            quantization=self.quantization,
            loaded=True if self.local else None,
            ttft=self.ttft,
            tokens_per_second=self.tokens_per_second,
        )


_CLOUD_CAPS = Capabilities(tools=True, vision=True, json_schema=True)
_LOCAL_CAPS = Capabilities(tools=True, vision=False, json_schema=True)


def _local(model_id: str, params_b: float, tps: float) -> SimulatedModel:
    return SimulatedModel(
        model_id,
        local=True,
        context_window=32_768,
        max_output=8_192,
        capabilities=_LOCAL_CAPS,
        ttft=0.15,
        tokens_per_second=tps,
        parameter_count=int(params_b * 1e9),
        quantization="Q4_K_M",
    )


DEFAULT_MODELS: tuple[SimulatedModel, ...] = (
    SimulatedModel("gpt-4o-mini", ttft=0.35, tokens_per_second=95.0, capabilities=_CLOUD_CAPS),
    SimulatedModel("gpt-4o", ttft=0.5, tokens_per_second=70.0, capabilities=_CLOUD_CAPS),
    SimulatedModel("gpt-4.1-mini", ttft=0.4, tokens_per_second=90.0, capabilities=_CLOUD_CAPS),
    SimulatedModel(
        "claude-haiku-4-5",
        context_window=200_000,
        ttft=0.45,
        tokens_per_second=110.0,
        capabilities=_CLOUD_CAPS,
    ),
    SimulatedModel(
        "claude-sonnet-4-5",
        context_window=200_000,
        ttft=0.8,
        tokens_per_second=60.0,
        capabilities=_CLOUD_CAPS,
    ),
    SimulatedModel(
        "gemini-2.5-flash",
        context_window=1_048_576,
        ttft=0.45,
        tokens_per_second=150.0,
        capabilities=_CLOUD_CAPS,
    ),
    _local("llama3.1:8b", 8.0, 35.0),
    _local("qwen2.5-coder:7b", 7.6, 38.0),
    _local("mistral:7b", 7.2, 40.0),
    _local("deepseek-coder:6.7b", 6.7, 40.0),
)
"""The models of ``SimulatedProvider()``: cloud stand-ins named and priced like the real
ones, and four local models of 7-8 B parameters at 4-bit quantisation."""


def local_stand_in(model_id: str) -> SimulatedModel:
    """A simulated local model for a name the user asked for (``"mistral:7b"``)."""
    size = _parameters_b(model_id) or 7.0
    return _local(model_id, size, max(8.0, 280.0 / size))


def _parameters_b(model_id: str) -> float | None:
    import re

    found = re.search(r"(\d+(?:\.\d+)?)b\b", model_id.lower())
    return float(found.group(1)) if found else None


class SimulatedProvider:
    """A provider whose models answer from a seeded random generator instead of a server.

    ``models`` replaces the default set; ``latency_scale`` multiplies every delay (0: none);
    ``sleep`` is awaited for each delay (a fake clock's ``asleep`` in tests).
    """

    local = False

    def __init__(
        self,
        models: Iterable[SimulatedModel] | None = None,
        *,
        seed: int | None = 0,
        latency_scale: float = 1.0,
        name: str = "simulated",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if latency_scale < 0:
            raise ConfigurationError(f"latency_scale={latency_scale!r} must be >= 0 (0: no delay)")
        chosen = tuple(DEFAULT_MODELS if models is None else models)
        self.name = name
        self.latency_scale = latency_scale
        self._models = {m.id: m for m in chosen}
        self._rng = random.Random(seed)  # noqa: S311  (a simulation, not security)
        self._sleep = sleep
        self._clock = clock
        self.calls = 0

    def __repr__(self) -> str:
        return f"<SimulatedProvider {self.name!r} models={list(self._models)}>"

    def set_failures(self, model: str, failures: FailureProfile) -> None:
        """Change one model's failure profile (to what-if an outage)."""
        self._models[model] = replace(self._model(model), failures=failures)

    def _model(self, model: str) -> SimulatedModel:
        found = self._models.get(model)
        if found is None:
            raise ProviderError(
                f"model {model!r} is not simulated here (known: {', '.join(self._models)}); "
                "pass SimulatedModel(...) in models=",
                provider=self.name,
                model=model,
                status_code=404,
            )
        return found

    async def models(self) -> list[ModelInfo]:
        """Every simulated model."""
        return [m.info(self.name) for m in self._models.values()]

    async def health(self) -> Health:
        """Always up: there is no server."""
        return Health(HealthStatus.OK, 0.0, "simulated")

    async def aclose(self) -> None:
        """Nothing to release."""

    async def complete(self, request: Request) -> Response:
        """Answer ``request`` after the drawn latency, or fail as the profile says."""
        final: Response | None = None
        async for chunk in self._run(request, streaming=False):
            final = chunk.response
        assert final is not None  # _run always ends with the response
        return final

    def stream(self, request: Request) -> AsyncIterator[Chunk]:
        """Stream ``request``'s answer a few tokens at a time, ending with the response."""
        return self._run(request, streaming=True)

    async def _run(self, request: Request, *, streaming: bool) -> AsyncIterator[Chunk]:
        model = self._model(request.model)
        self.calls += 1
        started = self._clock()
        draw = self._draw(model, request)
        await self._fail_early(model, request, draw.fault)
        await self._delay(draw.ttft)
        ttft = self._clock() - started
        words = draw.words
        cut = len(words) // 2 if draw.fault == "drop" else None
        delivered = 0
        step = 4 if streaming else len(words) or 1
        for start in range(0, len(words), step):
            if cut is not None and start >= cut:
                raise ProviderError(
                    "connection dropped mid-stream (simulated)",
                    provider=self.name,
                    model=model.id,
                    category=ErrorCategory.TRANSIENT,
                    delivered_chars=delivered,
                )
            piece = " ".join(words[start : start + step]) + " "
            await self._delay(len(piece.split()) / model.tokens_per_second)
            delivered += len(piece)
            if streaming:
                yield Chunk(text=piece)
        total = self._clock() - started
        text = " ".join(words)
        yield Chunk(response=self._response(model, request, text, draw, Timings(total, ttft)))

    def _response(
        self, model: SimulatedModel, request: Request, text: str, draw: _Draw, timings: Timings
    ) -> Response:
        output = len(draw.words)
        speed = output / max(timings.total - (timings.ttft or 0.0), 1e-9)
        return Response(
            text=text,
            provider=self.name,
            model=model.id,
            usage=Usage(input=_prompt_tokens(request), output=output),
            finish_reason=FinishReason.LENGTH if draw.truncated else FinishReason.STOP,
            request_id=f"sim-{self.calls}",
            timings=Timings(timings.total, timings.ttft, speed if timings.total > 0 else None),
        )

    def _draw(self, model: SimulatedModel, request: Request) -> _Draw:
        rng = self._rng
        ttft = model.ttft * math.exp(rng.gauss(0.0, model.jitter))
        wanted = max(1, int(model.answer_tokens * math.exp(rng.gauss(0.0, 0.3))))
        limit = min(request.max_tokens or model.max_output, model.max_output)
        n = min(wanted, limit)
        words = [_WORDS[rng.randrange(len(_WORDS))] for _ in range(n)]
        return _Draw(ttft, words, wanted > limit, self._fault(model.failures, rng.random()))

    @staticmethod
    def _fault(profile: FailureProfile, roll: float) -> str | None:
        for name, chance in (
            ("rate_limit", profile.rate_limit),
            ("server_error", profile.server_error),
            ("hang", profile.hang),
            ("drop", profile.drop_stream),
        ):
            if roll < chance:
                return name
            roll -= chance
        return None

    async def _fail_early(self, model: SimulatedModel, request: Request, fault: str | None) -> None:
        if fault == "rate_limit":
            raise ProviderError(
                "rate limit reached (simulated)",
                provider=self.name,
                model=model.id,
                status_code=429,
                retry_after=model.failures.retry_after,
            )
        if fault == "server_error":
            raise ProviderError(
                "service unavailable (simulated)",
                provider=self.name,
                model=model.id,
                status_code=503,
            )
        if fault == "hang":
            if request.timeout is None:
                await asyncio.Event().wait()  # hangs until the caller gives up
            await self._sleep(request.timeout or 0.0)
            raise ProviderError(
                f"no answer within the {request.timeout} s timeout (simulated hang)",
                provider=self.name,
                model=model.id,
                category=ErrorCategory.TIMEOUT,
            )

    async def _delay(self, seconds: float) -> None:
        if self.latency_scale > 0 and seconds > 0:
            await self._sleep(seconds * self.latency_scale)


@dataclass(slots=True, frozen=True)
class _Draw:
    ttft: float
    words: list[str]
    truncated: bool
    fault: str | None


def _prompt_tokens(request: Request) -> int:
    # the simulated tokenizer: about four characters a token, and four tokens per message
    chars = sum(len(m.text) for m in request.messages)
    return max(1, math.ceil(chars / 4) + 4 * len(request.messages))

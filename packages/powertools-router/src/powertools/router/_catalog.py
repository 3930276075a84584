"""What the router knows about each model: limits, capabilities, prices and priors.

Prices come from ``powertools.cost`` (one source of truth: :func:`price_of`); context windows
and capabilities from the provider when it says, else from the price data and the tables here.
The **quality prior** of a model is a number in [0, 1] read as "the hardest task, on the
router's complexity scale, this model handles well". The table below says where each number
comes from; the router's learning (``_learning``) starts from it and moves with feedback.

Sources of :data:`QUALITY_PRIORS` (as published by October 2025): the vendors' model cards and
their MMLU / GPQA / HumanEval / SWE-bench results, and the LMArena text leaderboard's relative
order. The numbers map those results onto one scale: frontier reasoning models 0.93-0.95,
frontier chat models 0.86-0.90, small cloud models 0.72-0.85, 7-9 B local models 0.50-0.66
(their MMLU of 62-74 against the frontier's 86-92). Local models of unknown names get a number
from their size and quantisation (:func:`size_prior`). Override any number with
``LLMRouter(overrides={"gpt-4o": {"quality": 0.9}})``.

>>> quality_prior("gpt-4o-mini-2024-07-18", local=False)
0.74
>>> quality_prior("mystery-13b", local=True, parameter_count=13_000_000_000)
0.73
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from powertools.router._request import Request
from powertools.router.errors import ConfigurationError
from powertools.router.providers._base import Capabilities, ModelInfo

if TYPE_CHECKING:  # the price book loads with the first price asked for, not with the router
    from powertools.cost import ModelPrice, PriceBook

__all__ = [
    "KNOWN_CAPABILITIES",
    "LATENCY_PRIORS",
    "QUALITY_PRIORS",
    "Candidate",
    "Catalog",
    "capabilities_of",
    "estimate_complexity",
    "estimate_prompt_tokens",
    "price_of",
    "quality_at",
    "quality_prior",
    "size_prior",
]

# (model id prefix, quality prior, where the number comes from). The longest prefix wins.
QUALITY_PRIORS: tuple[tuple[str, float, str], ...] = (
    ("gpt-5-nano", 0.75, "OpenAI gpt-5 system card: nano tier, GPQA 71"),
    ("gpt-5-mini", 0.87, "OpenAI gpt-5 system card: GPQA 82, SWE-bench 71"),
    ("gpt-5", 0.95, "OpenAI gpt-5 system card: GPQA 87, SWE-bench 75"),
    ("o3", 0.93, "OpenAI o3 card: GPQA 83, SWE-bench 69"),
    ("o4-mini", 0.88, "OpenAI o4-mini card: GPQA 81, SWE-bench 68"),
    ("gpt-4.1-nano", 0.68, "OpenAI GPT-4.1 post: MMLU 80.1, GPQA 50"),
    ("gpt-4.1-mini", 0.80, "OpenAI GPT-4.1 post: MMLU 87.5, GPQA 65"),
    ("gpt-4.1", 0.88, "OpenAI GPT-4.1 post: MMLU 90.2, SWE-bench 55"),
    ("gpt-4o-mini", 0.74, "OpenAI gpt-4o-mini post: MMLU 82.0, HumanEval 87"),
    ("gpt-4o", 0.86, "OpenAI GPT-4o post: MMLU 88.7, HumanEval 90"),
    ("gpt-4-turbo", 0.83, "OpenAI simple-evals: MMLU 86.5"),
    ("gpt-4", 0.80, "GPT-4 technical report: MMLU 86.4"),
    ("gpt-3.5-turbo", 0.60, "GPT-4 technical report: GPT-3.5 MMLU 70.0"),
    ("claude-opus-4", 0.94, "Anthropic Claude Opus 4.1 post: SWE-bench 74.5"),
    ("claude-sonnet-4-5", 0.93, "Anthropic Claude Sonnet 4.5 post: SWE-bench 77.2"),
    ("claude-sonnet-4", 0.90, "Anthropic Claude 4 post: SWE-bench 72.7"),
    ("claude-haiku-4-5", 0.84, "Anthropic Claude Haiku 4.5 post: SWE-bench 73.3"),
    ("claude-3-5-haiku", 0.72, "Anthropic Claude 3.5 Haiku post: HumanEval 88, GPQA 42"),
    ("gemini-2.5-pro", 0.93, "Google Gemini 2.5 Pro card: GPQA 86, LMArena top tier"),
    ("gemini-2.5-flash-lite", 0.72, "Google Gemini 2.5 Flash-Lite card: GPQA 65"),
    ("gemini-2.5-flash", 0.85, "Google Gemini 2.5 Flash card: GPQA 83"),
    ("gemini-2.0-flash", 0.76, "Google Gemini 2.0 Flash card: MMLU-Pro 77, GPQA 60"),
    ("llama3.1:70b", 0.80, "Meta Llama 3.1 card: 70B MMLU 83.6"),
    ("llama3.1", 0.62, "Meta Llama 3.1 card: 8B MMLU 69.4 (Q4: -0.01)"),
    ("llama3.2", 0.48, "Meta Llama 3.2 card: 3B MMLU 63.4"),
    ("qwen2.5-coder", 0.66, "Qwen2.5-Coder report: 7B HumanEval 88.4"),
    ("qwen2.5", 0.64, "Qwen2.5 report: 7B MMLU 74.2"),
    (
        "deepseek-coder",
        0.55,
        "DeepSeek-Coder paper: 6.7B instruct HumanEval 78.6, weak outside code",
    ),
    ("mistral", 0.52, "Mistral 7B paper: MMLU 62.5"),
    ("gemma2", 0.63, "Gemma 2 report: 9B MMLU 71.3"),
    ("phi3", 0.58, "Phi-3 report: mini MMLU 68.8"),
)
_BY_LENGTH = sorted(QUALITY_PRIORS, key=lambda row: -len(row[0]))

_FULL = Capabilities(tools=True, vision=True, json_schema=True)
# What the vendors document for their model families (tools, vision, JSON schema output); a
# provider's own listing adds to this (``/models`` endpoints rarely say).
KNOWN_CAPABILITIES: tuple[tuple[str, Capabilities], ...] = (
    ("gpt-3.5-turbo", Capabilities(tools=True)),
    ("gpt-4-turbo", Capabilities(tools=True, vision=True)),
    ("gpt-4o", _FULL),
    ("gpt-4.1", _FULL),
    ("gpt-5", Capabilities(tools=True, vision=True, json_schema=True, reasoning=True)),
    ("o3", Capabilities(tools=True, vision=True, json_schema=True, reasoning=True)),
    ("o4-mini", Capabilities(tools=True, vision=True, json_schema=True, reasoning=True)),
    ("gpt-4", Capabilities(tools=True)),
    ("claude-", _FULL),
    ("gemini-", _FULL),
)
_UNKNOWN_CLOUD = 0.70  # a cloud model we have no number for: a mid-tier guess

# (ttft seconds, output tokens per second) before the router has measured anything
LATENCY_PRIORS: Mapping[str, tuple[float, float]] = {
    "openai": (0.5, 80.0),
    "anthropic": (0.7, 70.0),
    "gemini": (0.5, 150.0),
    "simulated": (0.4, 80.0),
    "cloud": (0.6, 70.0),
}
# a local model on a CPU-class machine: about 160 / (billions of parameters) tokens per second
_LOCAL_SPEED = 160.0
_LOCAL_TTFT = 0.2
_COLD_START_BYTES_PER_SECOND = 2e9  # reading the weights from disk into memory


def _name(model: str) -> str:
    return model.strip().lower().rpartition("/")[2]


def quality_prior(model: str, *, local: bool, parameter_count: int | None = None) -> float:
    """The table's number for ``model`` (longest matching prefix), else a size-based guess."""
    name = _name(model)
    for prefix, quality, _ in _BY_LENGTH:
        if name.startswith(prefix):
            return quality
    if local:
        return size_prior(parameter_count or _parameters_from_name(name), None)
    return _UNKNOWN_CLOUD


def size_prior(parameter_count: int | None, quantization: str | None) -> float:
    """A local model's prior from its size: 0.40 at 1 B, +0.09 per doubling, at most 0.85.

    4-bit and smaller quantisations cost a little (-0.01 at Q4, -0.04 at Q3 and Q2).

    >>> size_prior(7_000_000_000, "Q4_K_M")
    0.64
    """
    billions = (parameter_count or 7_000_000_000) / 1e9
    quality = 0.40 + 0.09 * math.log2(max(billions, 0.5))
    quant = (quantization or "").upper()
    if quant.startswith(("Q2", "Q3")):
        quality -= 0.04
    elif quant.startswith("Q4"):
        quality -= 0.01
    return round(min(max(quality, 0.2), 0.85), 2)


def _parameters_from_name(name: str) -> int | None:
    found = re.search(r"(\d+(?:\.\d+)?)b\b", name)
    return int(float(found.group(1)) * 1e9) if found else None


def quality_at(prior: float, complexity: float) -> float:
    """The prior quality of a model on a task of ``complexity``.

    A model keeps its quality on tasks up to its own level and loses a fifth of the gap beyond.

    >>> quality_at(0.8, 0.6), quality_at(0.55, 0.8)
    (0.8, 0.5)
    """
    return round(max(0.0, prior - 0.2 * max(0.0, complexity - prior)), 4)


def price_of(
    model: str, provider: str, *, local: bool, book: PriceBook | None = None
) -> ModelPrice:
    """The model's prices from ``powertools.cost``; a local model nobody priced is free.

    The one place the router asks for prices (the local-pricing rules of ``powertools.cost``
    are applied by asking under the provider ``"local"`` when the provider's name is not one
    cost knows as local).
    """
    from powertools.cost import PriceBook, UnknownModelError

    prices = book or PriceBook.default()
    try:
        return prices.resolve(model, provider=provider)
    except UnknownModelError:
        if local:
            return prices.resolve(model, provider="local")
        raise


TOOLS, VISION, SCHEMA = 1, 2, 4  # the capability bits of ``Candidate.facts``


@dataclass(slots=True, frozen=True)
class Candidate:
    """One (provider, model) the router may send a request to, with everything it knows."""

    provider: str
    model: str
    local: bool
    context_window: int
    max_output: int
    capabilities: Capabilities
    price: ModelPrice
    quality: float
    ttft: float
    tokens_per_second: float
    family: str = ""
    source: str = ""
    input_fd: int = field(init=False)
    output_fd: int = field(init=False)
    key: str = field(init=False)
    """``provider/model``: the name of this candidate in stats, breakers and explain()."""
    _worst: tuple[int, int] | None = field(init=False, repr=False, compare=False)
    facts: tuple[Any, ...] = field(init=False, repr=False, compare=False)
    """The engine's static numbers, taken once (see ``_engine.decide``): key, worst-case and
    expected rates per token (``None`` with context tiers), max output, context window, the
    capability bitmask, the quality prior, that prior rounded (its quality on easier tasks),
    time to first token and speed."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", f"{self.provider}/{self.model}")
        period = self.price.period()
        object.__setattr__(self, "input_fd", period.base.input)
        object.__setattr__(self, "output_fd", period.base.output)
        # without context tiers the worst case is linear: cost's own numbers, taken once
        linear = (
            None
            if period.tiers
            else (self.price.worst_case_fd(1, 0), self.price.worst_case_fd(0, 1))
        )
        object.__setattr__(self, "_worst", linear)
        caps = self.capabilities
        mask = (caps.tools and TOOLS) | (caps.vision and VISION) | (caps.json_schema and SCHEMA)
        worst_in, worst_out = linear if linear is not None else (None, None)
        facts = (
            self.key,
            worst_in,
            worst_out,
            period.base.input,
            period.base.output,
            self.max_output,
            self.context_window,
            mask,
            self.quality,
            round(max(0.0, self.quality), 4),
            self.ttft,
            self.tokens_per_second,
        )
        object.__setattr__(self, "facts", facts)

    def expected_cost_fd(self, prompt_tokens: int, output_tokens: int) -> int:
        """The expected cost in femto-dollars, at the prompt's context tier."""
        if self._worst is None:  # context tiers: the prompt's size picks the rates
            rates = self.price.period().rates(prompt_tokens)
            return prompt_tokens * rates.input + output_tokens * rates.output
        return prompt_tokens * self.input_fd + output_tokens * self.output_fd

    def worst_case_fd(self, prompt_tokens: int, max_tokens: int) -> int:
        """The most this call can cost (what the budget holds before sending)."""
        if self._worst is not None:
            return prompt_tokens * self._worst[0] + max_tokens * self._worst[1]
        return self.price.worst_case_fd(prompt_tokens, max_tokens)


_OVERRIDABLE = frozenset(
    {"quality", "ttft", "tokens_per_second", "context_window", "max_output", "local"}
)


class Catalog:
    """Builds :class:`Candidate` objects from what providers list, the price data and priors.

    ``overrides`` maps a model id (or ``provider/model``) to new values for ``quality``,
    ``ttft``, ``tokens_per_second``, ``context_window``, ``max_output`` or ``local``.
    """

    def __init__(
        self,
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        prices: PriceBook | None = None,
    ) -> None:
        self.overrides = {k: dict(v) for k, v in (overrides or {}).items()}
        for key, values in self.overrides.items():
            unknown = set(values) - _OVERRIDABLE
            if unknown:
                raise ConfigurationError(
                    f"overrides[{key!r}] has unknown fields {sorted(unknown)}; "
                    f"use {sorted(_OVERRIDABLE)}"
                )
        self.prices = prices

    def candidate(self, info: ModelInfo, *, provider_local: bool = False) -> Candidate:
        """The candidate for one listed model (raises ``UnknownModelError`` when unpriced)."""
        local = info.local or provider_local
        context = info.context_window
        price = price_of(info.id, info.provider, local=local, book=self.prices)
        context = context or price.context_window or (32_768 if local else 128_000)
        ttft, speed = _latency_prior(info, local)
        found = Candidate(
            provider=info.provider,
            model=info.id,
            local=local,
            context_window=context,
            max_output=info.max_output or min(context // 4, 16_384),
            capabilities=capabilities_of(info),
            price=price,
            quality=quality_prior(info.id, local=local, parameter_count=info.parameter_count),
            ttft=ttft,
            tokens_per_second=speed,
            family=info.family or "",
            source=_source(info.id, local),
        )
        return self._override(found)

    def _override(self, found: Candidate) -> Candidate:
        values = {**self.overrides.get(found.model, {}), **self.overrides.get(found.key, {})}
        if not values:
            return found
        return replace(found, **values, source="your override")


def capabilities_of(info: ModelInfo) -> Capabilities:
    """What the provider says the model can do, plus what its vendor documents.

    >>> capabilities_of(ModelInfo("gpt-4o-mini", "openai")).tools
    True
    """
    name = _name(info.id)
    known = next((caps for prefix, caps in KNOWN_CAPABILITIES if name.startswith(prefix)), None)
    if known is None:
        return info.capabilities
    given = info.capabilities
    return Capabilities(
        tools=given.tools or known.tools,
        vision=given.vision or known.vision,
        json_schema=given.json_schema or known.json_schema,
        reasoning=given.reasoning or known.reasoning,
    )


def _latency_prior(info: ModelInfo, local: bool) -> tuple[float, float]:
    if info.ttft is not None and info.tokens_per_second:
        return info.ttft, info.tokens_per_second
    if not local:
        return LATENCY_PRIORS.get(info.provider, LATENCY_PRIORS["cloud"])
    billions = (info.parameter_count or _parameters_from_name(_name(info.id)) or 7e9) / 1e9
    ttft = _LOCAL_TTFT
    if info.loaded is False and info.size_bytes:
        ttft += info.size_bytes / _COLD_START_BYTES_PER_SECOND
    return ttft, max(_LOCAL_SPEED / billions, 2.0)


def _source(model: str, local: bool) -> str:
    name = _name(model)
    for prefix, _, source in _BY_LENGTH:
        if name.startswith(prefix):
            return source
    return "size and quantisation" if local else "no published number: mid-tier default"


# patterns, not compiled ones: re compiles each with the first estimate and keeps it in its
# own cache, so importing the router compiles nothing
_HARD_WORDS = (
    r"\b(prove|proof|optimi[sz]e|architect\w*|design|refactor|debug|concurren\w*|distributed|"
    r"algorithm\w*|analy[sz]e|trade-?offs?|step[- ]by[- ]step|derive|formal|security|"
    r"multi-step|reason\w*)\b"
)
_EASY_WORDS = (
    r"\b(hi|hello|translate|summari[sz]e|list|rename|format|spell|classify|extract|"
    r"yes or no|one word)\b"
)


def estimate_complexity(text: str, *, tools: int = 0, structured: bool = False) -> float:
    """A task's complexity in [0, 1] from its prompt, when the caller gives none.

    Starts at 0.3; long prompts add up to 0.25 (log of the length); each "hard" word (prove,
    optimise, debug, distributed, step by step, ...) adds 0.08 (at most 0.32); each "easy" word
    (translate, summarise, extract, ...) takes 0.05 off (at most 0.15); code fences add 0.1;
    tools add 0.05 each (at most 0.1), a required output schema 0.05.

    >>> estimate_complexity("hello")
    0.25
    >>> estimate_complexity("Design and prove a distributed lock algorithm") > 0.6
    True
    """
    score = 0.3
    score += min(0.25, max(0.0, math.log10(max(len(text), 1) / 200) * 0.12))
    score += min(0.32, 0.08 * len(re.findall(_HARD_WORDS, text, re.IGNORECASE)))
    score -= min(0.15, 0.05 * len(re.findall(_EASY_WORDS, text, re.IGNORECASE)))
    score += 0.1 if "```" in text else 0.0
    score += min(0.1, 0.05 * tools) + (0.05 if structured else 0.0)
    return round(min(max(score, 0.0), 1.0), 3)


def estimate_prompt_tokens(request: Request) -> int:
    """An upper estimate of the prompt's tokens for any provider's tokenizer.

    Three characters a token (tokenizers of every family give more characters per token on
    English and code), four tokens of overhead per message, and each tool's schema as text.
    The budget's worst case uses this, so it errs high.

    >>> estimate_prompt_tokens(Request.of("x" * 300))
    104
    """
    chars = 0
    for message in request.messages:
        chars += len(message.text)
        for call in message.tool_calls:
            chars += len(call.name) + len(call.arguments)
        chars += sum(len(getattr(p, "content", "")) for p in message.parts)
    for tool in request.tools:
        chars += len(tool.name) + len(tool.description) + len(str(tool.parameters))
    images = sum(1 for m in request.messages for p in m.parts if type(p).__name__ == "ImagePart")
    return math.ceil(chars / 3) + 4 * len(request.messages) + 1_600 * images

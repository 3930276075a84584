"""Prices per model and the exact cost of a :class:`Usage`.

The hot path is integer arithmetic over femto-dollars per token; see ``_money``.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from powertools.cost._money import FEMTO_PER_USD, plain, usd
from powertools.cost._usage import BUCKETS, Usage
from powertools.cost.errors import PricingDataError, UnknownModelError

__all__ = [
    "LOCAL_PROVIDERS",
    "ModelPrice",
    "PricePeriod",
    "Rates",
    "rates_per_million",
]

LOCAL_PROVIDERS = frozenset({"ollama", "llamacpp", "llama.cpp", "local"})
# Prefixes that name the model's own vendor (or an API path): ``openai/gpt-4o`` is gpt-4o.
# A reseller's prefix (``vertex_ai/``, ``bedrock/``, ``azure/``) is kept: its price is its own.
_PREFIXES = frozenset({"openai", "anthropic", "gemini", "google", "models"})
# The providers that sell each model family first-hand (see ``is_first_party``).
_FIRST_PARTY = {
    "openai": frozenset({"openai"}),
    "anthropic": frozenset({"anthropic"}),
    "gemini": frozenset({"gemini", "google"}),
}
_DATED = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$")
_FEMTO_PER_MILLION = Decimal(FEMTO_PER_USD) / Decimal(1_000_000)
# A bucket without its own price is billed like its nearest relative.
_DEFAULTS = (
    ("cache_read", "input"),
    ("cache_write_5m", "input"),
    ("cache_write_1h", "cache_write_5m"),
    ("reasoning", "output"),
    ("audio_in", "input"),
    ("audio_out", "output"),
    ("image_in", "input"),
)


@dataclass(slots=True, frozen=True)
class Rates:
    """Femto-dollars per token for each usage bucket."""

    input: int
    cache_read: int
    cache_write_5m: int
    cache_write_1h: int
    output: int
    reasoning: int
    audio_in: int
    audio_out: int
    image_in: int

    def cost_fd(self, u: Usage) -> int:
        """Cost of ``u`` in femto-dollars.

        A rate is a multi-digit int (above 2**30 from $1.07 per million), so each product
        takes CPython's long-multiplication path even when the count is 0: the buckets most
        calls leave empty are multiplied only when they are not.
        """
        cost = u.input * self.input + u.output * self.output
        if u.cache_read:
            cost += u.cache_read * self.cache_read
        if u.cache_write_5m or u.cache_write_1h:
            cost += u.cache_write_5m * self.cache_write_5m + u.cache_write_1h * self.cache_write_1h
        if u.reasoning:
            cost += u.reasoning * self.reasoning
        if u.audio_in or u.audio_out or u.image_in:
            cost += (
                u.audio_in * self.audio_in
                + u.audio_out * self.audio_out
                + u.image_in * self.image_in
            )
        return cost

    def scaled(self, factor: Decimal) -> Rates:
        """These rates times ``factor`` (a batch discount); must stay whole femto-dollars."""
        values = [Decimal(getattr(self, b)) * factor for b in BUCKETS]
        if any(v != v.to_integral_value() for v in values):
            raise PricingDataError(f"batch multiplier {factor} gives fractional prices")
        return Rates(*(int(v) for v in values))


def rates_per_million(prices: Mapping[str, Decimal]) -> Rates:
    """Rates from dollars per million tokens; ``input`` and ``output`` are required.

    >>> rates_per_million({"input": Decimal("2.5"), "output": Decimal(10)}).cache_read
    2500000000
    """
    unknown = set(prices) - set(BUCKETS)
    if unknown or "input" not in prices or "output" not in prices:
        raise PricingDataError(
            f"prices need 'input' and 'output' and only the buckets {BUCKETS}; got {sorted(prices)}"
        )
    full = dict(prices)
    for bucket, like in _DEFAULTS:
        full.setdefault(bucket, full[like])
    femto: dict[str, int] = {}
    for bucket in BUCKETS:
        value = Decimal(full[bucket]) * _FEMTO_PER_MILLION
        if value < 0 or value != value.to_integral_value():
            raise PricingDataError(
                f"price {full[bucket]} per million for {bucket!r} must be >= 0 "
                "with at most 9 decimals"
            )
        femto[bucket] = int(value)
    return Rates(**femto)


ZERO_RATES = Rates(0, 0, 0, 0, 0, 0, 0, 0, 0)


@dataclass(slots=True, frozen=True)
class PricePeriod:
    """The prices of a model from ``effective_from`` on, with context tiers and batch rates."""

    effective_from: date
    base: Rates
    tiers: tuple[tuple[int, Rates], ...] = ()
    batch_multiplier: Decimal | None = None

    def rates(self, prompt_tokens: int) -> Rates:
        """The rates for a request of ``prompt_tokens``: a tier covers the whole request."""
        chosen = self.base
        for above, rates in self.tiers:
            if prompt_tokens > above:
                chosen = rates
        return chosen

    def cost_fd(self, usage: Usage, *, batch: bool = False) -> int:
        """Cost of ``usage`` under these prices, in femto-dollars."""
        fd = (
            self.rates(usage.prompt_tokens).cost_fd(usage)
            if self.tiers
            else self.base.cost_fd(usage)
        )
        if not batch:
            return fd
        if self.batch_multiplier is None:
            raise PricingDataError("this model has no batch price; call it without batch=True")
        return int(Decimal(fd) * self.batch_multiplier)


@dataclass(slots=True, frozen=True)
class ModelPrice:
    """The price history of one model: periods in order of ``effective_from``.

    ``context_window`` is the most tokens a request may hold, ``max_output`` the most one
    answer may have (None when unknown); both size the hold of a call that gives no size.
    """

    model: str
    provider: str
    periods: tuple[PricePeriod, ...]
    context_window: int | None = None
    aliases: tuple[str, ...] = ()
    max_output: int | None = None

    def period(self, at: date | None = None) -> PricePeriod:
        """The prices in effect on ``at`` (today's when ``None``)."""
        if at is None or len(self.periods) == 1:
            return self.periods[-1]
        starts = [p.effective_from for p in self.periods]
        index = bisect.bisect_right(starts, at) - 1
        return self.periods[max(index, 0)]

    def cost(self, usage: Usage, *, at: date | None = None, batch: bool = False) -> Decimal:
        """Exact cost of ``usage`` in dollars."""
        return usd(self.period(at).cost_fd(usage, batch=batch))

    def per_million(
        self, bucket: str, *, prompt_tokens: int = 0, at: date | None = None
    ) -> Decimal:
        """The dollar price per million tokens of one bucket, written as money.

        >>> ten = rates_per_million({"input": Decimal(10), "output": Decimal(30)})
        >>> ModelPrice("m", "custom", (PricePeriod(date.min, ten),)).per_million("input")
        Decimal('10')
        """
        rate = getattr(self.period(at).rates(prompt_tokens), bucket)
        return plain(Decimal(rate) / _FEMTO_PER_MILLION)

    def worst_case_fd(self, prompt_tokens: int, max_tokens: int, *, batch: bool = False) -> int:
        """The most a call of this size can cost: every prompt token at the dearest input
        rate, every output token at the dearest output rate, in the prompt's tier."""
        r = self.period().rates(prompt_tokens)
        dearest_in = max(
            r.input, r.cache_read, r.cache_write_5m, r.cache_write_1h, r.audio_in, r.image_in
        )
        dearest_out = max(r.output, r.reasoning, r.audio_out)
        fd = prompt_tokens * dearest_in + max_tokens * dearest_out
        multiplier = self.period().batch_multiplier
        return int(Decimal(fd) * multiplier) if batch and multiplier is not None else fd


def local_price(model: str) -> ModelPrice:
    """A model that runs on the user's own machine: free unless a price is set."""
    return ModelPrice(model, "local", (PricePeriod(date.min, ZERO_RATES),))


def normalise_name(model: str) -> str:
    """Lower case without a known provider prefix (``openai/gpt-4o`` → ``gpt-4o``)."""
    name = model.strip().lower()
    head, sep, tail = name.partition("/")
    return tail if sep and head in _PREFIXES else name


def undated(name: str) -> str:
    """The name without a date or ``-latest`` suffix (``claude-x-20250101`` → ``claude-x``)."""
    return _DATED.sub("", name)


def family(model: str) -> str | None:
    """The vendor whose own model this is (``openai``, ``anthropic``, ``gemini``), if known.

    >>> family("claude-3-5-haiku"), family("vertex_ai/claude-3-5-haiku"), family("llama3.2")
    ('anthropic', None, None)
    """
    name = normalise_name(model)
    if "/" in name:
        return None  # a reseller's path
    if name.startswith("claude"):
        return "anthropic"
    if name.startswith("gemini"):
        return "gemini"
    if name.startswith(("gpt-", "o1", "o3", "o4", "chatgpt", "text-embedding")):
        return "openai"
    return None


def is_reseller(price: ModelPrice) -> bool:
    """Whether ``price`` is another provider's price for a vendor's model (Vertex's Claude).

    >>> from datetime import date
    >>> free = PricePeriod(date.min, ZERO_RATES)
    >>> is_reseller(ModelPrice("claude-3-5-haiku", "vertex_ai-anthropic_models", (free,)))
    True
    >>> is_reseller(ModelPrice("claude-3-5-haiku", "anthropic", (free,)))
    False
    """
    vendor = family(price.model)
    return vendor is not None and price.provider.lower() not in _FIRST_PARTY[vendor] | {"custom"}


def is_local(model: str, provider: str | None) -> bool:
    """Whether a model runs locally (Ollama, llama.cpp), from its provider or prefix."""
    if provider is not None and provider.lower() in LOCAL_PROVIDERS:
        return True
    head, sep, _ = model.lower().partition("/")
    return bool(sep) and head in LOCAL_PROVIDERS


def unknown(model: str, names: Iterable[str]) -> UnknownModelError:
    """The error for an unpriced model, naming the closest known names."""
    import difflib

    close = difflib.get_close_matches(normalise_name(model), list(names), n=3, cutoff=0.6)
    return UnknownModelError(model, close)

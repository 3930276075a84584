"""The pricing file's schema (pydantic) and its conversion to :class:`ModelPrice`.

pydantic is imported here only, so importing ``powertools.cost`` stays cheap; this module
loads the first time a price is needed.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from powertools.cost._pricing import ModelPrice, PricePeriod, Rates, rates_per_million
from powertools.cost.errors import PricingDataError

__all__ = ["PriceFile", "load_price_file", "parse_price_file", "shipped_price_file"]

Money = Decimal


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Rates(_Strict):
    """Dollars per million tokens for each bucket; a period's base rates or a tier's."""

    input: Money = Field(ge=0)
    output: Money = Field(ge=0)
    cache_read: Money | None = Field(default=None, ge=0)
    cache_write_5m: Money | None = Field(default=None, ge=0)
    cache_write_1h: Money | None = Field(default=None, ge=0)
    reasoning: Money | None = Field(default=None, ge=0)
    audio_in: Money | None = Field(default=None, ge=0)
    audio_out: Money | None = Field(default=None, ge=0)
    image_in: Money | None = Field(default=None, ge=0)


class TierSpec(_Rates):
    above_prompt_tokens: int = Field(gt=0)


class PeriodSpec(_Rates):
    effective_from: date
    batch_multiplier: Money | None = Field(default=None, gt=0, le=1)
    tiers: tuple[TierSpec, ...] = ()


class ModelSpec(_Strict):
    id: str = Field(min_length=1)
    provider: str = Field(min_length=1)
    context_window: int | None = Field(default=None, gt=0)
    max_output: int | None = Field(default=None, gt=0)
    aliases: tuple[str, ...] = ()
    prices: tuple[PeriodSpec, ...] = Field(min_length=1)


class PriceFile(_Strict):
    """A whole pricing database: dollars per million tokens, per model, per period."""

    schema_version: int = 1
    currency: str = Field(default="USD", pattern="^USD$")
    unit: str = Field(default="per_million_tokens", pattern="^per_million_tokens$")
    taken_on: date
    source: str = ""
    models: tuple[ModelSpec, ...]


_RATE_FIELDS = tuple(_Rates.model_fields)


def _given(spec: _Rates) -> dict[str, Decimal]:
    return {f: v for f in _RATE_FIELDS if (v := getattr(spec, f)) is not None}


def _tier(base: dict[str, Decimal], tier: TierSpec, model: str) -> tuple[int, Rates]:
    """A tier's rates: it must give every rate its base gives (none is inherited)."""
    given = _given(tier)
    missing = sorted(set(base) - set(given))
    if missing:
        raise PricingDataError(
            f"{model}: the tier above {tier.above_prompt_tokens:,} prompt tokens gives no "
            f"{', '.join(missing)}; a tier must give every rate its base gives, or it would "
            "silently bill the base rate above the threshold"
        )
    return tier.above_prompt_tokens, rates_per_million(given)


def _period(spec: PeriodSpec, model: str) -> PricePeriod:
    base = _given(spec)
    tiers = tuple(
        _tier(base, tier, model) for tier in sorted(spec.tiers, key=lambda t: t.above_prompt_tokens)
    )
    period = PricePeriod(spec.effective_from, rates_per_million(base), tiers, spec.batch_multiplier)
    if spec.batch_multiplier is not None:  # prove the batch rates are whole femto-dollars
        period.base.scaled(spec.batch_multiplier)
    return period


def to_model_prices(data: PriceFile) -> list[ModelPrice]:
    """The validated file as hot-path price objects."""
    out = []
    for m in data.models:
        periods = tuple(
            sorted((_period(p, m.id) for p in m.prices), key=lambda p: p.effective_from)
        )
        out.append(ModelPrice(m.id, m.provider, periods, m.context_window, m.aliases, m.max_output))
    return out


def parse_price_file(raw: Any, *, origin: str = "price file") -> PriceFile:
    """Validate a decoded JSON document as a :class:`PriceFile`."""
    try:
        return PriceFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise PricingDataError(
            f"{origin} is invalid at {where}: {first['msg']} ({exc.error_count()} errors)"
        ) from exc


def load_price_file(path: Path) -> PriceFile:
    """Read and validate a pricing JSON file."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except (OSError, json.JSONDecodeError) as exc:
        raise PricingDataError(f"cannot read price file {path}: {exc}") from exc
    return parse_price_file(raw, origin=str(path))


def shipped_price_file() -> PriceFile:
    """The pricing database shipped inside the package."""
    text = resources.files("powertools.cost").joinpath("data/prices.json").read_text("utf-8")
    return parse_price_file(json.loads(text, parse_float=Decimal), origin="shipped prices.json")

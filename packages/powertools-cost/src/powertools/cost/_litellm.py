"""Import LiteLLM's public ``model_prices_and_context_window.json`` format.

Each entry's per-token floats become exact dollars per million tokens; the result is a
:class:`PriceFile`, linted for the mistakes that file is known for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from powertools.cost._pricedata import PriceFile, parse_price_file
from powertools.cost.errors import PricingDataError

__all__ = ["LitellmImport", "convert_litellm", "lint"]

_MILLION = Decimal(1_000_000)
_NINE = Decimal("1e-9")
_FIELDS = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cache_read",
    "cache_creation_input_token_cost": "cache_write_5m",
    "cache_creation_input_token_cost_above_1hr": "cache_write_1h",
    "output_cost_per_reasoning_token": "reasoning",
    "input_cost_per_audio_token": "audio_in",
    "output_cost_per_audio_token": "audio_out",
}
_TIER = {
    "input_cost_per_token_above_200k_tokens": "input",
    "output_cost_per_token_above_200k_tokens": "output",
    "cache_read_input_token_cost_above_200k_tokens": "cache_read",
    "cache_creation_input_token_cost_above_200k_tokens": "cache_write_5m",
    "cache_creation_input_token_cost_above_1hr_above_200k_tokens": "cache_write_1h",
}
# Vendors' first-hand providers in LiteLLM's map, by model family (see ``_pricing.family``).
_FIRST_PARTY = {"openai": {"openai"}, "anthropic": {"anthropic"}, "gemini": {"gemini"}}
_MODES = {None, "chat", "completion", "responses"}


@dataclass(slots=True)
class LitellmImport:
    """A converted LiteLLM file and what the lint rules found in it."""

    prices: PriceFile
    violations: list[str] = field(default_factory=list)
    skipped: int = 0


def _decimal(value: Any) -> Decimal | None:
    """A price as a Decimal, or None when it is no number (a bool, a list, "a dollar")."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _per_million(value: Any, where: str, notes: list[str]) -> Decimal:
    number = _decimal(value)
    if number is None:
        raise PricingDataError(f"{where} must be a number, got {value!r}")
    exact = number * _MILLION
    rounded = exact.quantize(_NINE, rounding=ROUND_HALF_EVEN).normalize()
    if rounded != exact:
        notes.append(f"{where}: {exact} per million rounded to {rounded}")
    return rounded


def _rates(
    entry: Mapping[str, Any], names: Mapping[str, str], model: str, notes: list[str]
) -> dict[str, Decimal]:
    return {
        ours: _per_million(entry[theirs], f"{model}.{theirs}", notes)
        for theirs, ours in names.items()
        if entry.get(theirs) is not None
    }


def _batch(entry: Mapping[str, Any], rates: Mapping[str, Decimal], model: str) -> Decimal | None:
    batch_in = entry.get("input_cost_per_token_batches")
    if batch_in is None or not rates["input"]:
        return None
    multiplier = (Decimal(str(batch_in)) * _MILLION / rates["input"]).quantize(Decimal("0.0001"))
    return multiplier if Decimal(0) < multiplier <= 1 else None


def _model(
    name: str, entry: Mapping[str, Any], today: date, notes: list[str]
) -> dict[str, Any] | None:
    if entry.get("mode") not in _MODES or entry.get("input_cost_per_token") is None:
        return None
    if entry.get("output_cost_per_token") is None:
        return None
    period: dict[str, Any] = {"effective_from": today, **_rates(entry, _FIELDS, name, notes)}
    tier = _rates(entry, _TIER, name, notes)
    if "input" in tier and "output" in tier:
        period["tiers"] = [{"above_prompt_tokens": 200_000, **_complete(period, tier, name, notes)}]
    multiplier = _batch(entry, period, name)
    if multiplier is not None:
        period["batch_multiplier"] = multiplier
    window, output = entry.get("max_input_tokens"), entry.get("max_output_tokens")
    return {
        "id": name,
        "provider": str(entry.get("litellm_provider") or "unknown"),
        "context_window": window if isinstance(window, int) and window > 0 else None,
        "max_output": output if isinstance(output, int) and output > 0 else None,
        "prices": [period],
    }


def _complete(
    base: Mapping[str, Any], tier: dict[str, Decimal], model: str, notes: list[str]
) -> dict[str, Decimal]:
    """A tier with every rate its base has: a missing one scales with the tier's input."""
    ratio = tier["input"] / base["input"] if base["input"] else Decimal(1)
    for bucket in ("cache_read", "cache_write_5m", "cache_write_1h", "reasoning", "audio_in"):
        if bucket in base and bucket not in tier:
            tier[bucket] = (base[bucket] * ratio).quantize(_NINE).normalize()
            notes.append(
                f"{model}: the 200k tier gives no {bucket}; derived {tier[bucket]:f} per million "
                f"(the base {base[bucket]:f} x the tier's input ratio {ratio:f})"
            )
    return tier


def convert_litellm(raw: Mapping[str, Any], *, today: date) -> LitellmImport:
    """Convert a decoded LiteLLM price map; entries that are not chat models are skipped."""
    if not isinstance(raw, Mapping) or not raw:
        raise PricingDataError("a LiteLLM price file must be a non-empty JSON object")
    notes: list[str] = []
    models, skipped = [], 0
    for name, entry in raw.items():
        if name == "sample_spec" or not isinstance(entry, Mapping):
            continue
        converted = _model(name, entry, today, notes)
        if converted is None:
            skipped += 1
        else:
            models.append(converted)
    document = {"taken_on": today, "source": "LiteLLM price map", "models": models}
    result = LitellmImport(parse_price_file(document, origin="LiteLLM price map"), notes, skipped)
    result.violations.extend(lint(raw))
    return result


def _number(entry: Mapping[str, Any], key: str) -> Decimal | None:
    value = entry.get(key)
    return Decimal(str(value)) if isinstance(value, int | float | Decimal) else None


def lint(raw: Mapping[str, Any]) -> list[str]:
    """Rules a sane price map obeys; each broken rule is one line naming the model.

    >>> lint({"m": {"input_cost_per_token": 1e-6, "cache_read_input_token_cost": 2e-6}})
    ['m: cache read 0.000002 is not below input 0.000001']
    """
    found = []
    for name, entry in raw.items():
        if isinstance(entry, Mapping) and _number(entry, "input_cost_per_token") is not None:
            found.extend(_entry_rules(name, entry))
    return found


def _entry_rules(name: str, entry: Mapping[str, Any]) -> list[str]:
    base = _number(entry, "input_cost_per_token") or Decimal(0)
    read = _number(entry, "cache_read_input_token_cost")
    hour = _number(entry, "cache_creation_input_token_cost_above_1hr")
    priority = _number(entry, "input_cost_per_token_priority")
    found = []
    if read is not None and base and read >= base:
        found.append(f"{name}: cache read {read:f} is not below input {base:f}")
    if hour is not None and entry.get("litellm_provider") == "anthropic" and hour != 2 * base:
        found.append(f"{name}: Anthropic 1-hour cache write {hour:f} is not 2 x input {base:f}")
    if priority is not None and priority > 3 * base:
        found.append(f"{name}: priority input {priority:f} is above 3 x standard {base:f}")
    return found + _tier_rules(name, entry) + _reseller_rules(name, entry)


def _tier_rules(name: str, entry: Mapping[str, Any]) -> list[str]:
    """A tier that leaves out a rate its base has would bill the base rate above 200k."""
    tier_in = _number(entry, "input_cost_per_token_above_200k_tokens")
    if tier_in is None:
        return []
    found = [
        f"{name}: the 200k tier gives no {ours}, so the base rate would apply above 200k"
        for theirs, ours in _FIELDS.items()
        if ours in _TIER.values()
        and entry.get(theirs) is not None
        and entry.get(f"{theirs}_above_200k_tokens") is None
    ]
    tier_hour = _number(entry, "cache_creation_input_token_cost_above_1hr_above_200k_tokens")
    provider = str(entry.get("litellm_provider") or "")
    if tier_hour is not None and "anthropic" in provider and tier_hour != 2 * tier_in:
        found.append(
            f"{name}: Anthropic 1-hour cache write above 200k {tier_hour:f} is not 2 x the "
            f"tier's input {tier_in:f}"
        )
    return found


def _reseller_rules(name: str, entry: Mapping[str, Any]) -> list[str]:
    """A vendor's bare model name priced by someone else would pass for the vendor's price."""
    from powertools.cost._pricing import family

    vendor = family(name)
    provider = str(entry.get("litellm_provider") or "")
    if vendor is None or provider in _FIRST_PARTY[vendor]:
        return []
    return [
        f"{name}: a bare {vendor} model name priced by {provider or 'no provider'}; it is kept "
        f"under {provider or 'unknown'} and never replaces {vendor}'s own price"
    ]

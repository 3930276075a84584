"""The price book: model names (aliases, dated ids, provider prefixes) to prices."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from decimal import Decimal

from powertools.cost._money import usd
from powertools.cost._pricing import (
    ModelPrice,
    PricePeriod,
    is_local,
    local_price,
    normalise_name,
    rates_per_million,
    undated,
    unknown,
)
from powertools.cost._usage import Usage

__all__ = ["PriceBook", "cost_of", "price_for"]

_default_lock = threading.Lock()
_default: PriceBook | None = None


class PriceBook:
    """Prices by model name, resolving aliases, dated ids and provider prefixes.

    >>> book = PriceBook()
    >>> _ = book.set_price("my-model", input="1", output="2")
    >>> book.cost(Usage(input=1_000_000, output=500_000), "my-model")
    Decimal('2')
    """

    def __init__(
        self,
        models: Iterable[ModelPrice] = (),
        *,
        fallback: ModelPrice | None = None,
        taken_on: date | None = None,
    ) -> None:
        self._models: dict[str, ModelPrice] = {}
        self._names: dict[str, str] = {}
        self._resolved: dict[tuple[str, str | None], ModelPrice] = {}
        self.fallback = fallback
        self.taken_on = taken_on
        self.version = 0  # grows with every change: caches of derived values check it
        for price in models:
            self.add(price)

    @classmethod
    def default(cls) -> PriceBook:
        """The shipped database, overridden by a local copy imported with ``PriceStore``."""
        global _default  # noqa: PLW0603  (one shared, lazily loaded book)
        with _default_lock:
            if _default is None:
                from powertools.cost._pricedata import shipped_price_file, to_model_prices
                from powertools.cost._pricestore import PriceStore

                shipped = shipped_price_file()
                book = cls(to_model_prices(shipped), taken_on=shipped.taken_on)
                for price in PriceStore.from_environment().current_prices():
                    book.merge(price)
                _default = book
            return _default

    def add(self, price: ModelPrice) -> None:
        """Add or replace a model's prices (its aliases included)."""
        key = normalise_name(price.model)
        self._models[key] = price
        self._names[key] = key
        for alias in price.aliases:
            self._names[normalise_name(alias)] = key
        self._resolved.clear()
        self.version += 1

    def merge(self, price: ModelPrice) -> None:
        """Add newer prices for a model, keeping its older periods for re-pricing old calls."""
        key = self._names.get(normalise_name(price.model))
        old = self._models.get(key) if key else None
        if old is not None:
            start = price.periods[0].effective_from
            price = replace(
                old,
                periods=tuple(p for p in old.periods if p.effective_from < start) + price.periods,
                context_window=price.context_window or old.context_window,
            )
        self.add(price)

    def set_price(
        self,
        model: str,
        *,
        input: Decimal | str | float,
        output: Decimal | str | float,
        provider: str = "custom",
        effective_from: date = date.min,
        context_window: int | None = None,
        **buckets: Decimal | str | float,
    ) -> ModelPrice:
        """Set a model's price in dollars per million tokens (local models included)."""
        given = {"input": input, "output": output, **buckets}
        rates = rates_per_million({k: Decimal(str(v)) for k, v in given.items()})
        price = ModelPrice(model, provider, (PricePeriod(effective_from, rates),), context_window)
        self.add(price)
        return price

    def prices(self) -> list[ModelPrice]:
        """Every model's prices, once each."""
        return list(self._models.values())

    def names(self) -> list[str]:
        """Every model id and alias this book knows."""
        return sorted(self._names)

    def resolve(self, model: str, *, provider: str | None = None) -> ModelPrice:
        """The prices of ``model``; raises :class:`UnknownModelError` with close matches."""
        cached = self._resolved.get((model, provider))
        if cached is not None:
            return cached
        price = self._lookup(model, provider)
        self._resolved[(model, provider)] = price
        return price

    def _lookup(self, model: str, provider: str | None) -> ModelPrice:
        name = normalise_name(model)
        for candidate in (name, undated(name), model.lower()):
            key = self._names.get(candidate)
            if key is not None:
                return self._models[key]
        if is_local(model, provider):
            return local_price(model)
        if self.fallback is not None:
            return self.fallback
        raise unknown(model, self._names)

    def cost(
        self,
        usage: Usage,
        model: str,
        *,
        at: date | None = None,
        batch: bool = False,
        provider: str | None = None,
    ) -> Decimal:
        """Exact dollar cost of ``usage`` on ``model`` (prices in effect on ``at``)."""
        return usd(self.cost_fd(usage, model, at=at, batch=batch, provider=provider))

    def cost_fd(
        self,
        usage: Usage,
        model: str,
        *,
        at: date | None = None,
        batch: bool = False,
        provider: str | None = None,
    ) -> int:
        """Like :meth:`cost`, in femto-dollars (the exact integer the ledgers store)."""
        price = self._resolved.get((model, provider)) or self.resolve(model, provider=provider)
        return price.period(at).cost_fd(usage, batch=batch)


def price_for(model: str, *, provider: str | None = None) -> ModelPrice:
    """The shipped prices of ``model``.

    >>> price_for("openai/gpt-4o-2024-08-06").per_million("cache_read")
    Decimal('1.25')
    """
    return PriceBook.default().resolve(model, provider=provider)


def cost_of(
    usage: Usage,
    model: str,
    *,
    at: date | None = None,
    batch: bool = False,
    provider: str | None = None,
) -> Decimal:
    """Exact dollar cost of ``usage`` on ``model`` with the default price book.

    ``provider="ollama"`` (or ``"llamacpp"``) prices a local model's bare name at $0.

    >>> cost_of(Usage(input=1000, output=500), "gpt-4o-mini")
    Decimal('0.00045')
    >>> cost_of(Usage(input=1000, output=500), "llama3.2", provider="ollama")
    Decimal('0')
    """
    return PriceBook.default().cost(usage, model, at=at, batch=batch, provider=provider)

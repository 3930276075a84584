"""The price book: model names (aliases, dated ids, provider prefixes) to prices."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from powertools.cost._money import usd
from powertools.cost._pricing import (
    ModelPrice,
    PricePeriod,
    is_local,
    is_reseller,
    local_price,
    normalise_name,
    rates_per_million,
    undated,
    unknown,
)
from powertools.cost._usage import Usage

if TYPE_CHECKING:
    from powertools.cost._pricestore import PriceStore

__all__ = ["PriceBook", "cost_of", "price_for"]

_default_lock = threading.Lock()
_default: PriceBook | None = None


class PriceBook:
    """Prices by (provider, model), resolving aliases, dated ids and provider prefixes.

    Every price is kept under its provider; a bare model name resolves to its vendor's own
    price (OpenAI's gpt-4o, Anthropic's Claude), which a reseller's price for the same model
    (Vertex, Bedrock, Azure) never replaces: ask for that one with ``provider=``.

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
        self._by_provider: dict[tuple[str, str], ModelPrice] = {}
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
                from powertools.cost._pricestore import PriceStore

                _default = cls.shipped(PriceStore.from_environment())
            return _default

    @classmethod
    def shipped(cls, store: PriceStore | None = None) -> PriceBook:
        """A new book of the shipped prices, with ``store``'s current import merged in."""
        from powertools.cost._pricedata import shipped_price_file, to_model_prices

        data = shipped_price_file()
        book = cls(to_model_prices(data), taken_on=data.taken_on)
        for price in store.current_prices() if store is not None else ():
            book.merge(price)
        return book

    def add(self, price: ModelPrice) -> None:
        """Add or replace a model's prices (its aliases included) under its provider.

        The bare name goes to it too, unless it is a reseller's price and the vendor's own
        price is already there.
        """
        key = normalise_name(price.model)
        self._by_provider[(price.provider.lower(), key)] = price
        self._resolved.clear()
        self.version += 1
        held = self._models.get(self._names.get(key, key))
        if held is not None and is_reseller(price) and not is_reseller(held):
            return
        self._models[key] = price
        self._names[key] = key
        for alias in price.aliases:
            self._names[normalise_name(alias)] = key
        self._resolved.clear()
        self.version += 1

    def merge(self, price: ModelPrice) -> None:
        """Add newer prices for a model, keeping its older periods for re-pricing old calls.

        Periods are merged only with the same provider's prices for the model.
        """
        key = self._names.get(normalise_name(price.model))
        old = self._models.get(key) if key else None
        if old is not None and old.provider != price.provider:
            old = self._by_provider.get((price.provider.lower(), key or ""))
        if old is not None:
            start = price.periods[0].effective_from
            price = replace(
                old,
                periods=tuple(p for p in old.periods if p.effective_from < start)
                + _keep_tiers(old.periods[-1], price.periods),
                context_window=price.context_window or old.context_window,
                max_output=price.max_output or old.max_output,
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
        """Every provider's prices of every model, once each."""
        return list(self._by_provider.values())

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
                found = self._models[key]
                if provider is None or found.provider.lower() == provider.lower():
                    return found
                return self._by_provider.get((provider.lower(), key), found)
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


def _keep_tiers(latest: PricePeriod, periods: tuple[PricePeriod, ...]) -> tuple[PricePeriod, ...]:
    """New periods that restate the latest base rates without tiers keep its tiers: a map
    that does not know a context tier has not abolished it."""
    return tuple(
        replace(p, tiers=latest.tiers) if not p.tiers and p.base == latest.base else p
        for p in periods
    )


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

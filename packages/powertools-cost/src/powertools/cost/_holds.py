"""How much a span holds when the caller does not say how big the call is.

A hard budget holds only if every call reserves at least what it can cost. A span given the
prompt and ``max_tokens`` reserves exactly that worst case. A span given less is sized by
policy: the prompt is ``prompt_tokens`` (a number, or ``"context_window"`` for the model's
whole window) and the answer is the model's ``max_output`` (its context window, or
``max_tokens`` of the policy, when the price book does not know it). A span without a model
holds the dearest such worst case in the price book, or ``no_model_usd`` when given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from powertools.cost._pricebook import PriceBook
    from powertools.cost._pricing import ModelPrice

__all__ = ["HoldPolicy"]


@dataclass(slots=True, frozen=True)
class HoldPolicy:
    """The size assumed for what a span was not told.

    >>> from powertools.cost import price_for
    >>> policy = HoldPolicy(prompt_tokens=1000)
    >>> policy.hold_fd(price_for("gpt-4"), None, None)  # 1,000 x $30/M + 8,192 x $60/M
    521520000000000
    """

    prompt_tokens: int | Literal["context_window"] = 4096
    max_tokens: int = 4096
    no_model_fd: int | None = None

    def __post_init__(self) -> None:
        prompt = self.prompt_tokens
        if prompt != "context_window" and (type(prompt) is not int or prompt < 0):
            raise ValueError(
                f"unsized_prompt must be a token count >= 0 or 'context_window', not {prompt!r}"
            )
        if type(self.max_tokens) is not int or self.max_tokens <= 0:
            raise ValueError(f"unsized_max_tokens must be a positive int, not {self.max_tokens!r}")
        if self.no_model_fd is not None and self.no_model_fd < 0:
            raise ValueError("unsized_reserve_usd cannot be negative: give the dollars to hold")

    def prompt_for(self, price: ModelPrice) -> int:
        """The prompt size assumed for a call to ``price``'s model that gave none."""
        if self.prompt_tokens == "context_window":
            return price.context_window or self.max_tokens
        return self.prompt_tokens

    def output_for(self, price: ModelPrice) -> int:
        """The answer size assumed for a call that gave no ``max_tokens``."""
        return price.max_output or price.context_window or self.max_tokens

    def hold_fd(
        self,
        price: ModelPrice,
        prompt_tokens: int | None,
        max_tokens: int | None,
        *,
        batch: bool = False,
    ) -> int:
        """The worst case of a call to ``price``'s model, sized by this policy where unknown."""
        prompt = self.prompt_for(price) if prompt_tokens is None else prompt_tokens
        output = self.output_for(price) if max_tokens is None else max_tokens
        return price.worst_case_fd(prompt, output, batch=batch)

    def no_model_hold_fd(self, book: PriceBook) -> int:
        """What a span without a model holds: ``no_model_fd``, else the book's dearest call."""
        if self.no_model_fd is not None:
            return self.no_model_fd
        prices = book.prices()
        if book.fallback is not None:
            prices.append(book.fallback)
        return max((self.hold_fd(p, None, None) for p in prices), default=0)

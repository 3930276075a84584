"""Price one call and compare models: what would this workload cost on each?"""

from __future__ import annotations

from decimal import Decimal

from powertools.cost import PriceBook, Usage, from_openai

book = PriceBook.default()

# A month of a support bot: 2M prompt tokens (1.5M of them a cached system prompt), 400k out.
usage = from_openai(
    {
        "prompt_tokens": 2_000_000,
        "completion_tokens": 400_000,
        "prompt_tokens_details": {"cached_tokens": 1_500_000},
    }
)


def compare(models: list[str], usage: Usage) -> dict[str, Decimal]:
    return {model: book.cost(usage, model) for model in models}


def main() -> None:
    one_call = from_openai({"prompt_tokens": 1_200, "completion_tokens": 300})
    print(f"one gpt-4o call: ${book.cost(one_call, 'gpt-4o')}")

    costs = compare(["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini"], usage)
    for model, cost in sorted(costs.items(), key=lambda item: item[1]):
        print(f"{model:<14} ${cost}")
    cheapest = min(costs, key=costs.__getitem__)
    assert cheapest == "gpt-4o-mini"
    assert costs["gpt-4o"] > costs["gpt-4o-mini"] * 10

    # caching matters: the same tokens with no cache hits
    uncached = from_openai({"prompt_tokens": 2_000_000, "completion_tokens": 400_000})
    saved = book.cost(uncached, "gpt-4o") - costs["gpt-4o"]
    print(f"the cached system prompt saves ${saved} a month on gpt-4o")
    assert saved > 0

    # a batch job is half price on OpenAI
    assert book.cost(usage, "gpt-4o", batch=True) * 2 == costs["gpt-4o"]


if __name__ == "__main__":
    main()

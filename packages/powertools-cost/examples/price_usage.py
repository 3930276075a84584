"""Price provider usage exactly: cached tokens, cache writes, long-context tiers, batch.

Run: ``python examples/price_usage.py``.
"""

from __future__ import annotations

from powertools.cost import PriceBook, from_anthropic, from_gemini, from_openai

book = PriceBook.default()

openai = from_openai(
    {
        "prompt_tokens": 10_000,
        "completion_tokens": 1_000,
        "prompt_tokens_details": {"cached_tokens": 8_000},
    }
)
print("gpt-4o with 8k cached:", book.cost(openai, "gpt-4o"))

anthropic = from_anthropic(
    {
        "input_tokens": 100,
        "cache_read_input_tokens": 50_000,
        "cache_creation_input_tokens": 30_000,
        "cache_creation": {
            "ephemeral_5m_input_tokens": 10_000,
            "ephemeral_1h_input_tokens": 20_000,
        },
        "output_tokens": 2_000,
    }
)
print("sonnet 4.5 with cache writes:", book.cost(anthropic, "claude-sonnet-4-5-20250929"))

gemini = from_gemini(
    {"promptTokenCount": 250_000, "cachedContentTokenCount": 50_000, "candidatesTokenCount": 2_000}
)
print("gemini 2.5 pro above 200k:", book.cost(gemini, "gemini-2.5-pro"))
print("the same as a batch job:", book.cost(gemini, "gemini-2.5-pro", batch=True))

print("local model, free by default:", book.cost(openai, "ollama/llama3.2"))
mine = PriceBook()  # a book of your own prices, e.g. your electricity bill for local models
mine.set_price("ollama/llama3.2", input="0.02", output="0.02")
print("local model, priced:", mine.cost(openai, "ollama/llama3.2"))

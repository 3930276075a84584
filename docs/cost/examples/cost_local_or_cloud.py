"""Is it worth moving a nightly summarisation job to a local model? Price the same usage.

One usage block (what an OpenAI-shaped response reports) priced on three cloud models and on a
local Ollama model: exact `Money`, a local model at $0 unless you give it a price.
"""

from __future__ import annotations

from powertools.cost import cost_of, from_openai, price_for

JOBS_PER_NIGHT = 5_000
usage = from_openai({"prompt_tokens": 3_000, "completion_tokens": 400})

nightly = {}
for model, provider in [
    ("gpt-4o", "openai"),
    ("gpt-4o-mini", "openai"),
    ("claude-haiku-4-5", "anthropic"),
    ("llama3.1:8b", "ollama"),
]:
    nightly[model] = cost_of(usage, model, provider=provider) * JOBS_PER_NIGHT
    window = price_for(model, provider=provider).context_window
    print(f"{model:18} ${nightly[model]!s:9} a night, context window {window or 'unknown'}")

assert nightly["llama3.1:8b"] == 0
assert nightly["gpt-4o-mini"] < nightly["gpt-4o"]
saving = (nightly["gpt-4o-mini"] - nightly["llama3.1:8b"]) * 30
print(f"moving from gpt-4o-mini to the local model saves ${saving} a month")

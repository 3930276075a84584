"""Count tokens before you send: refuse a prompt that would not fit, or trim it first."""

from __future__ import annotations

from powertools.cost import count_message_tokens, count_tokens

CONTEXT_WINDOW = 128_000  # gpt-4o's
MAX_OUTPUT = 4_096


def fits(messages: list[dict[str, str]], model: str = "gpt-4o") -> bool:
    """Whether the prompt plus the answer we allow fits the model's context window."""
    counted = count_message_tokens(messages, model)
    return counted.tokens + MAX_OUTPUT <= CONTEXT_WINDOW


def trim_history(
    messages: list[dict[str, str]], budget: int, model: str = "gpt-4o"
) -> list[dict[str, str]]:
    """Drop the oldest turns (keeping the system prompt) until the prompt fits ``budget``."""
    system, turns = messages[:1], messages[1:]
    while turns and count_message_tokens(system + turns, model).tokens > budget:
        turns = turns[1:]
    return system + turns


def main() -> None:
    text = count_tokens("Summarise the attached report in three bullet points.", "gpt-4o")
    print(f"{text.tokens} tokens, exact={text.exact}")
    assert text.exact
    assert 5 < text.tokens < 20

    history = [{"role": "system", "content": "You are a terse assistant."}]
    for n in range(200):
        history.append({"role": "user", "content": f"question {n}: " + "lorem ipsum " * 40})
    total = count_message_tokens(history, "gpt-4o")
    print(f"history: {total.tokens} tokens; fits: {fits(history)}")

    trimmed = trim_history(history, budget=2_000)
    after = count_message_tokens(trimmed, "gpt-4o").tokens
    print(f"trimmed to {len(trimmed)} messages, {after} tokens")
    assert after <= 2_000 < total.tokens
    assert trimmed[0]["role"] == "system"

    claude = count_tokens(
        "Summarise the attached report in three bullet points.", "claude-haiku-4-5"
    )
    print(f"claude estimate: {claude.tokens} tokens, exact={claude.exact}")
    assert not claude.exact  # Anthropic publishes no tokenizer: an estimate, said so


if __name__ == "__main__":
    main()

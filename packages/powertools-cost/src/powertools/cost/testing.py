"""Helpers for users' own tests: a fake clock and a priced fake LLM response."""

from __future__ import annotations

from typing import Any

__all__ = ["FakeClock", "openai_response"]


class FakeClock:
    """A clock that moves only when told to: pass it as ``clock=`` and call :meth:`advance`.

    >>> clock = FakeClock(100.0)
    >>> clock.advance(5); clock()
    105.0
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.now += seconds


def openai_response(
    model: str, prompt_tokens: int, completion_tokens: int, *, cached: int = 0
) -> dict[str, Any]:
    """A minimal OpenAI chat-completions response body with a usage block.

    >>> openai_response("gpt-4o", 10, 5)["usage"]["total_tokens"]
    15
    """
    return {
        "object": "chat.completion",
        "model": model,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached},
        },
    }

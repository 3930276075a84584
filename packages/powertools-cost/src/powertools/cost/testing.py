"""Helpers for users' own tests: a fake clock and a priced fake LLM response."""

from __future__ import annotations

from typing import Any

__all__ = ["FakeClock", "openai_response"]


class FakeClock:
    """A clock that moves only when told to: pass it as ``clock=`` and call :meth:`advance`.

    The shape every powertools package's ``testing.FakeClock`` shares: ``FakeClock(start)``,
    a writable ``now``, ``clock()`` / ``time()`` / ``monotonic()`` reading it, ``advance()``
    (never backwards), ``sleep()`` and ``await asleep()``.

    >>> clock = FakeClock(100.0)
    >>> clock.advance(5); clock(), clock.time(), clock.monotonic()
    (105.0, 105.0, 105.0)
    >>> clock.sleep(1.5); clock.now
    106.5
    """

    def __init__(self, start: float = 0.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def time(self) -> float:
        """The current fake time (like ``time.time``)."""
        return self.now

    def monotonic(self) -> float:
        """The current fake time (like ``time.monotonic``)."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward; a negative step raises ``ValueError``."""
        if seconds < 0:
            raise ValueError(f"time only moves forward: advance({seconds!r}) is negative")
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        """A ``time.sleep`` that returns at once, ``seconds`` later."""
        self.advance(seconds)

    async def asleep(self, seconds: float) -> None:
        """An ``asyncio.sleep`` that advances the clock, then lets other tasks run once."""
        import asyncio

        self.advance(seconds)
        await asyncio.sleep(0)


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

"""One usage model for every provider: disjoint token buckets.

Each token a provider reports lands in exactly one bucket, so a price per bucket bills it
exactly once. A cached prompt token is in ``cache_read`` and never also in ``input``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["BUCKETS", "Usage"]

BUCKETS = (
    "input",
    "cache_read",
    "cache_write_5m",
    "cache_write_1h",
    "output",
    "reasoning",
    "audio_in",
    "audio_out",
    "image_in",
)


@dataclass(slots=True, frozen=True)
class Usage:
    """Tokens of one call, split into disjoint buckets.

    ``input`` is the uncached text prompt, ``output`` the visible text answer; reasoning,
    audio and image tokens have their own buckets. The prompt size that decides a context
    tier is :attr:`prompt_tokens`.

    >>> u = Usage(input=900, cache_read=100, output=50)
    >>> u.prompt_tokens, u.total_tokens
    (1000, 1050)
    """

    input: int = 0
    cache_read: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    output: int = 0
    reasoning: int = 0
    audio_in: int = 0
    audio_out: int = 0
    image_in: int = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if type(value) is not int or value < 0:
                raise ValueError(
                    f"Usage.{f.name} must be a non-negative int, got {value!r}; "
                    "pass token counts, not costs"
                )

    @property
    def prompt_tokens(self) -> int:
        """Every token the model read: the size that decides a context-size tier."""
        return (
            self.input
            + self.cache_read
            + self.cache_write_5m
            + self.cache_write_1h
            + self.audio_in
            + self.image_in
        )

    @property
    def completion_tokens(self) -> int:
        """Every token the model produced, visible or not."""
        return self.output + self.reasoning + self.audio_out

    @property
    def total_tokens(self) -> int:
        """All tokens of the call."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(*(getattr(self, b) + getattr(other, b) for b in BUCKETS))

    def as_dict(self) -> dict[str, int]:
        """The buckets as a plain dict (for export)."""
        return {b: getattr(self, b) for b in BUCKETS}

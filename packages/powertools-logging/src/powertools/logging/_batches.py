"""Splitting records into requests that respect a service's limits.

CloudWatch Logs ``PutLogEvents``: at most 1,048,576 bytes counting each message's UTF-8 size
plus 26 bytes, at most 10,000 events, chronological, spanning at most 24 hours; one event at
most 256 KiB. Datadog's v2 intake: at most 5 MiB uncompressed per request, 1,000 entries, 1 MiB
per log. Google Pub/Sub ``topics:publish``: at most 1,000 messages and 10 MB per request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

__all__ = [
    "CLOUDWATCH",
    "DATADOG",
    "PUBSUB",
    "Limits",
    "pack",
    "truncate_utf8",
]

T = TypeVar("T")


class Limits:
    """A service's request limits: bytes, count, per-item bytes and per-item overhead."""

    __slots__ = ("item_overhead", "max_bytes", "max_count", "max_item_bytes", "request_overhead")

    def __init__(
        self,
        max_bytes: int,
        max_count: int,
        max_item_bytes: int,
        item_overhead: int = 0,
        request_overhead: int = 0,
    ) -> None:
        self.max_bytes, self.max_count, self.max_item_bytes = max_bytes, max_count, max_item_bytes
        self.item_overhead, self.request_overhead = item_overhead, request_overhead


CLOUDWATCH = Limits(1_048_576, 10_000, 262_144, item_overhead=26)
# a JSON array: "[" + items joined by "," + "]"
DATADOG = Limits(5 * 1024 * 1024, 1000, 1024 * 1024, item_overhead=1, request_overhead=2)
# {"messages":[ ... ]} around base64 items; the 10 MB limit is decimal
PUBSUB = Limits(10_000_000, 1000, 10_000_000 - 16, item_overhead=1, request_overhead=16)


def truncate_utf8(text: str, max_bytes: int, marker: str = "...[truncated]") -> str:
    """``text`` cut to at most ``max_bytes`` UTF-8 bytes, never inside a character.

    >>> truncate_utf8("héllo world", 9, marker="…")
    'héllo…'
    """
    data = text.encode()
    if len(data) <= max_bytes:
        return text
    room = max(0, max_bytes - len(marker.encode()))
    return data[:room].decode(errors="ignore") + marker


def pack(
    items: Sequence[T],
    size: Callable[[T], int],
    limits: Limits,
    *,
    same_request: Callable[[T, T], bool] | None = None,
) -> Iterator[list[T]]:
    """Consecutive batches of ``items`` within ``limits`` (each item must fit on its own).

    ``same_request(first, item)`` may refuse an item its batch's first item cannot share a
    request with (CloudWatch's 24-hour span).

    >>> [len(b) for b in pack([b"aa", b"bb", b"cc"], len, Limits(5, 10, 5, item_overhead=1))]
    [1, 1, 1]
    >>> [len(b) for b in pack([b"a", b"b", b"c"], len, Limits(4, 10, 4, item_overhead=1))]
    [2, 1]
    """
    batch: list[T] = []
    used = limits.request_overhead
    for item in items:
        cost = size(item) + limits.item_overhead
        full = len(batch) >= limits.max_count or used + cost > limits.max_bytes
        if batch and (full or (same_request is not None and not same_request(batch[0], item))):
            yield batch
            batch, used = [], limits.request_overhead
        batch.append(item)
        used += cost
    if batch:
        yield batch

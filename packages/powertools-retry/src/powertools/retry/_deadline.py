"""The deadline of the enclosing retry, visible to nested retries through a context variable.

>>> from powertools.retry import deadline, remaining_deadline
>>> remaining_deadline() is None
True
>>> with deadline(5):
...     0 < remaining_deadline() <= 5
True
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar, Token

from powertools.retry.errors import RetryConfigError

__all__ = ["DEADLINE", "deadline", "remaining_deadline"]

# Absolute time on the retry's clock (time.monotonic by default) when everything must be done.
DEADLINE: ContextVar[float | None] = ContextVar("powertools_retry_deadline", default=None)


def tighten(limit: float) -> Token[float | None]:
    """Set the deadline to ``limit`` unless an outer one is sooner; reset with the token."""
    outer = DEADLINE.get()
    return DEADLINE.set(limit if outer is None else min(outer, limit))


def release(token: Token[float | None]) -> None:
    """Undo :func:`tighten`; a generator closed in another context has nothing to undo."""
    with suppress(ValueError):
        DEADLINE.reset(token)


@contextmanager
def deadline(seconds: float, *, clock: Callable[[], float] = time.monotonic) -> Iterator[None]:
    """Give everything inside the block (retries included) at most ``seconds`` in total."""
    if not seconds >= 0:
        raise RetryConfigError(f"deadline={seconds!r} is invalid; pass seconds >= 0")
    token = tighten(clock() + seconds)
    try:
        yield
    finally:
        release(token)


def remaining_deadline(*, clock: Callable[[], float] = time.monotonic) -> float | None:
    """Seconds left before the innermost deadline, or ``None`` when no deadline applies."""
    limit = DEADLINE.get()
    return None if limit is None else max(0.0, limit - clock())

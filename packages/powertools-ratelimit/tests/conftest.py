"""Fixtures of this package's tests: a virtual clock and limiters that run on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from powertools.ratelimit import RateLimiter
from powertools.ratelimit.testing import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_limiter(clock: FakeClock) -> Callable[..., RateLimiter]:
    def make(**options: Any) -> RateLimiter:
        return RateLimiter(
            clock=clock, sleep=clock.wait, blocking_sleep=clock.blocking_sleep, **options
        )

    return make

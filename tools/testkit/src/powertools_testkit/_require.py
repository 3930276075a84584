"""Skip locally, fail in CI: what a test does when a service or file it needs is missing."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

__all__ = ["in_ci", "unavailable"]


def in_ci() -> bool:
    """True under CI (``CI=true``), where nothing may be skipped for lack of a service."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(what: str, how: str) -> NoReturn:
    """Skip the test because ``what`` is missing (fail under CI); ``how`` says how to provide it."""
    message = f"missing {what}: {how}"
    if in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)

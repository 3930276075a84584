"""The distribution's shape: version, the regular ``powertools`` package it owns, cheap import,
documented examples (``powertools_testkit.check_distribution``, shared by every package)."""

from __future__ import annotations

from powertools_testkit import check_distribution


def test_the_distribution_has_the_shared_shape() -> None:
    # `import powertools` must import no component either: each is imported on first use
    heavy = {"redis", "httpx", "tiktoken", "cryptography", "boto3", "asyncpg", "pydantic"}
    heavy |= {"importlib.metadata"}  # the entry points are read when a component is first used
    check_distribution("ai-powertools", module="powertools", heavy=heavy)

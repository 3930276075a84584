"""The distribution's shape: version, the regular ``powertools`` package it owns, cheap import,
documented examples (``powertools_testkit.check_distribution``, shared by every package)."""

from __future__ import annotations

from powertools_testkit import check_distribution


def test_the_distribution_has_the_shared_shape() -> None:
    # `import powertools` must import no component either: each is imported on first use
    heavy = {"redis", "httpx", "tiktoken", "cryptography", "boto3", "asyncpg", "pydantic"}
    heavy |= {"importlib.metadata"}  # the entry points are read when a component is first used
    check_distribution("ai-powertools", module="powertools", heavy=heavy)


def test_importing_the_meta_package_imports_no_component() -> None:
    import subprocess
    import sys

    code = "import sys, powertools; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    components = {"cost", "logging", "ratelimit", "retry", "router", "session"}
    loaded = {m.split(".")[1] for m in out.stdout.split() if m.startswith("powertools.")}
    loaded &= components
    assert not loaded, f"import powertools imported {sorted(loaded)}: import them on first use"

"""Developer sessions: lint, typecheck, tests per package, integration, wheels, bench, docs.

Every session drives uv, so nox needs no virtualenvs of its own: ``nox -s tests``.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "typecheck", "tests"]

ROOT = Path(__file__).parent
PACKAGES = ["retry", "ratelimit", "cost", "session", "logging", "router"]
# Line coverage each package must keep (`nox -s tests`); raise as tests grow, never lower.
# `.ci/run` holds every distribution to 95 % line and branch over the whole suite
# (tools/check_coverage.py); alone, each package's own tests must reach it as well.
FAIL_UNDER = dict.fromkeys([*PACKAGES, "ai-powertools"], 95)
TEST_TOOLS = [
    "--with",
    "pytest-asyncio",
    "--with",
    "pytest-cov",
    "--with",
    "hypothesis",
    "--with-editable",
    "tools/testkit",
]
LLAMA_BUILD = "-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_CURL=OFF"


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.run("uv", "run", "ruff", "check", external=True)
    session.run("uv", "run", "ruff", "format", "--check", external=True)


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over every package (the namespace is configured in pyproject.toml)."""
    session.run("uv", "run", "mypy", external=True)


def _distribution(name: str) -> str:
    return name if name == "ai-powertools" else f"powertools-{name}"


@nox.session
@nox.parametrize("package", [*PACKAGES, "ai-powertools"])
def tests(session: nox.Session, package: str) -> None:
    """One package's tests in an environment with only that package and its declared extras.

    The shared workspace venv would hide an undeclared dependency between packages; this does not.
    """
    dist = _distribution(package)
    coverage = [f"--cov=powertools.{package}"]
    if package == "ai-powertools":  # its `powertools` reaches every component: own folder only
        coverage = ["--cov", f"--cov-config=packages/{dist}/coverage.toml"]
    session.run(
        "uv",
        "run",
        "--isolated",
        "--no-default-groups",
        "--package",
        dist,
        "--all-extras",
        *TEST_TOOLS,
        "pytest",
        f"packages/{dist}/tests",
        *coverage,
        "--cov-report=term-missing:skip-covered",
        f"--cov-fail-under={FAIL_UNDER[package]}",
        *session.posargs,
        external=True,
    )


@nox.session
def integration(session: nox.Session) -> None:
    """Cross-package tests and tests against real services, llama.cpp's server included."""
    env = {"CMAKE_ARGS": os.environ.get("CMAKE_ARGS", LLAMA_BUILD)}
    # Offline first: the compiled wheel is in uv's cache; online revalidation may recompile it.
    try:
        session.run("uv", "sync", "--group", "llama", "--offline", env=env, external=True)
    except nox.command.CommandFailed:
        session.run("uv", "sync", "--group", "llama", env=env, external=True)
    session.run("uv", "run", "pytest", "tests-integration", *session.posargs, external=True)


@nox.session
def stress(session: nox.Session) -> None:
    """The session crash harness with many more SIGKILL trials than the test suite runs, and
    powertools-cost's memory over a million tracked calls, and the whole stack under 10,000
    concurrent routes against the fake provider server."""
    session.run(
        "uv",
        "run",
        "pytest",
        "packages/powertools-session/tests/test_crash.py",
        env={"POWERTOOLS_SESSION_CRASH_TRIALS": "5000"},
        external=True,
    )
    session.run(  # powertools-cost: memory stays flat over a million tracked calls
        "uv",
        "run",
        "pytest",
        "-s",
        "tests-integration/test_cost_growth.py::test_memory_is_flat_over_many_tracked_calls",
        env={"POWERTOOLS_COST_STRESS_CALLS": "1000000"},
        external=True,
    )
    session.run(  # the stack: budget and limits hold, memory flat across batches
        "uv",
        "run",
        "pytest",
        "-s",
        "tests-integration/test_stack_load.py",
        env={"POWERTOOLS_STACK_LOAD_ROUTES": "10000", "POWERTOOLS_STACK_LOAD_BATCHES": "3"},
        external=True,
    )


@nox.session
def wheels(session: nox.Session) -> None:
    """Build the seven wheels, then install and import each one alone in a fresh venv."""
    session.run("uv", "build", "--all-packages", "--out-dir", "dist", external=True)
    session.run("uv", "run", "pytest", "tests-integration/test_packaging.py", external=True)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks, with the peer libraries measured side by side in the same run, and the import
    time of every package beside its goal (``nox -s bench -- imports`` for that one alone)."""
    scripts = sorted((ROOT / "tools" / "bench").glob("bench_*.py"))
    wanted = set(session.posargs)
    for script in scripts:
        if wanted and script.stem.removeprefix("bench_") not in wanted:
            continue
        session.run("uv", "run", "--group", "bench", "python", str(script), external=True)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site; any warning is an error.

    mkdocstrings reads the sources through the paths in mkdocs.yml. It runs without the
    workspace installed: the meta-package's regular ``powertools/__init__.py`` on sys.path would
    hide the namespace's components from it.
    """
    session.run(
        "uv",
        "run",
        "--isolated",
        "--only-group",
        "docs",
        "mkdocs",
        "build",
        "--strict",
        env={"NO_MKDOCS_2_WARNING": "1"},
        external=True,
    )

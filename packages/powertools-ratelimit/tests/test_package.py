"""The distribution's shape: version, namespace, cheap import, documented examples."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import powertools.ratelimit
from powertools_testkit import run_doctests

# Importing the package must not import these; optional backends import them where used.
HEAVY = {
    "redis",
    "asyncpg",
    "boto3",
    "google",
    "httpx",
    "tiktoken",
    "cryptography",
    "nats",
    "aiokafka",
    "zstandard",
    "loguru",
    "pydantic",
}


def test_version_matches_distribution_metadata() -> None:
    assert powertools.ratelimit.__version__ == metadata.version("powertools-ratelimit")


def test_powertools_is_a_namespace_package_here() -> None:
    import powertools

    assert len(list(powertools.__path__)) >= 1
    assert "powertools.ratelimit" in sys.modules


def test_import_is_cheap() -> None:
    code = (
        "import sys, powertools.ratelimit; "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert not (loaded & HEAVY), f"importing powertools.ratelimit loaded {sorted(loaded & HEAVY)}"


def test_docstring_examples_run() -> None:
    run_doctests("powertools.ratelimit")


def test_every_error_derives_from_the_package_base() -> None:
    from powertools.ratelimit import errors

    for public in errors.__all__:
        obj = getattr(errors, public)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, errors.RateLimiterError), (
                f"{public} does not derive from RateLimiterError"
            )


def test_the_internal_modules_stack_one_way() -> None:
    import ast

    import powertools.ratelimit

    root = Path(str(powertools.ratelimit.__file__)).parent
    # each module may import only those listed before it (TYPE_CHECKING imports count too)
    order = ["_reservation", "_admission", "_wrapping", "_limiter", "_decorator", "_quota"]
    for i, name in enumerate(order):
        tree = ast.parse((root / f"{name}.py").read_text(encoding="utf-8"))
        imported = {
            node.module.rsplit(".", 1)[-1]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert not imported & set(order[i:]), (name, imported & set(order[i:]))

"""The distribution's shape: version, namespace, cheap import, documented examples."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import powertools.session
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
    assert powertools.session.__version__ == metadata.version("powertools-session")


def test_powertools_is_a_namespace_package_here() -> None:
    import powertools

    assert len(list(powertools.__path__)) >= 1
    assert "powertools.session" in sys.modules


def test_import_is_cheap() -> None:
    code = (
        "import sys, powertools.session; "
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert not (loaded & HEAVY), f"importing powertools.session loaded {sorted(loaded & HEAVY)}"


def test_import_leaves_importlib_metadata_unloaded() -> None:
    code = (
        "import sys, powertools.session; print('importlib.metadata' in sys.modules); "
        "powertools.session.__version__; print('importlib.metadata' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["False", "True"], "importlib.metadata must load only when __version__ is read"


def test_docstring_examples_run() -> None:
    run_doctests("powertools.session")


def test_every_error_derives_from_the_package_base() -> None:
    from powertools.session import errors

    for public in errors.__all__:
        obj = getattr(errors, public)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, errors.SessionError), (
                f"{public} does not derive from SessionError"
            )

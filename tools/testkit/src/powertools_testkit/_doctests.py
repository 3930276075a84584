"""Run the docstring examples of a whole package, so that every documented example is tested."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

__all__ = ["run_doctests"]


def run_doctests(package: str) -> int:
    """Run every docstring example in ``package`` and its modules; return how many ran.

    Raises ``AssertionError`` naming the failures, so one test per package covers them all.
    """
    root = importlib.import_module(package)
    modules = [root]
    # Only this package's own folder: the meta-package's extended __path__ reaches every
    # component, whose examples their own tests run.
    own = [str(Path(str(root.__file__)).parent)]
    for info in pkgutil.walk_packages(own, prefix=f"{package}."):
        if info.name.rsplit(".", 1)[-1].startswith("__"):
            continue
        try:
            modules.append(importlib.import_module(info.name))
        except ImportError as exc:
            # An optional backend whose extra is not installed has nothing to run here.
            if exc.name and not exc.name.startswith("powertools"):
                continue
            raise
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    attempted = 0
    failures: list[str] = []
    for module in modules:
        result = doctest.testmod(module, optionflags=flags, report=True, verbose=False)
        attempted += result.attempted
        if result.failed:
            failures.append(f"{module.__name__}: {result.failed} failed")
    assert not failures, "doctest failures: " + "; ".join(failures)
    return attempted

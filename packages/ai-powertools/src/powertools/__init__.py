"""powertools — the infrastructure layer of LLM applications, in six small libraries.

``powertools`` is a namespace shared by ``powertools-router``, ``-cost``, ``-session``,
``-ratelimit``, ``-retry`` and ``-logging``. This package (the ``ai-powertools``
distribution) adds the spec's names at the top level, each imported on first use:

>>> import powertools
>>> "Session" in dir(powertools)
True

``powertools.Stack.from_config()`` builds all six from one configuration (``powertools.toml``,
``[tool.powertools]`` in ``pyproject.toml``, or ``POWERTOOLS_<SECTION>_<KEY>`` variables).
"""

from __future__ import annotations

import os as _os
import sys as _sys
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from powertools._exports import EXPORTS as _EXPORTS
from powertools._exports import MissingComponentError
from powertools._exports import resolve as _resolve


# Editable installs put each component's src folder on sys.path separately; without this,
# this regular package would hide their powertools/<component> folders. What
# pkgutil.extend_path does for folders, without importing pkgutil (a fifth of an import of a
# component went on it): every sys.path folder's powertools/ joins the package's path.
def _portions(path: list[str]) -> list[str]:
    found = dict.fromkeys(path)
    for entry in _sys.path:
        if isinstance(entry, str):
            folder = _os.path.join(entry or _os.curdir, __name__)
            if folder not in found and _os.path.isdir(folder):
                found[folder] = None
    return list(found)


__path__ = _portions(__path__)

__version__ = "0.1.0"

__all__ = [*_EXPORTS, "MissingComponentError", "Stack", "StackConfigError", "__version__"]  # noqa: PLE0604

_OWN = {"Stack": "powertools._stack", "StackConfigError": "powertools._config"}

# Type checkers see the names through the components' own typed modules; at run time
# __getattr__ imports a component the first time one of its names is used.
if _TYPE_CHECKING:
    from powertools._config import StackConfigError as StackConfigError
    from powertools._stack import Stack as Stack
    from powertools.cost import BudgetManager as BudgetManager
    from powertools.cost import CostTracker as CostTracker
    from powertools.logging import StructuredLogger as StructuredLogger
    from powertools.ratelimit import QuotaManager as QuotaManager
    from powertools.ratelimit import RateLimiter as RateLimiter
    from powertools.ratelimit import rate_limit as rate_limit
    from powertools.retry import ErrorHandler as ErrorHandler
    from powertools.retry import circuit_breaker as circuit_breaker
    from powertools.retry import retry as retry
    from powertools.router import LLMRouter as LLMRouter
    from powertools.session import Session as Session
else:

    def __getattr__(name: str) -> _Any:
        if name in _OWN:
            import importlib

            value = getattr(importlib.import_module(_OWN[name]), name)
        else:
            value = _resolve(name)
        globals()[name] = value  # later look-ups skip __getattr__
        return value


def __dir__() -> list[str]:
    return sorted({*__all__, *(name for name in globals() if name.startswith("__"))})

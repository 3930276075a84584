"""Find the project's shared data folder (``../shared``: tiktoken files, test models)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["configure_tiktoken", "find_shared"]


def find_shared(start: Path, relative: str) -> Path | None:
    """The path ``shared/<relative>`` in ``start`` or any folder above it, or None.

    ``POWERTOOLS_SHARED_DIR`` names the shared folder explicitly.
    """
    explicit = os.environ.get("POWERTOOLS_SHARED_DIR")
    candidates = [Path(explicit)] if explicit else []
    candidates += [folder / "shared" for folder in (start, *start.parents)]
    for shared in candidates:
        path = shared / relative
        if path.exists():
            return path
    return None


def configure_tiktoken(start: Path) -> Path | None:
    """Point ``TIKTOKEN_CACHE_DIR`` at ``shared/tiktoken`` when unset, so tests run offline."""
    current = os.environ.get("TIKTOKEN_CACHE_DIR")
    if current:
        return Path(current)
    found = find_shared(start, "tiktoken")
    if found is not None:
        os.environ["TIKTOKEN_CACHE_DIR"] = str(found)
    return found

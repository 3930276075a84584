"""Find the project's shared data folder (``../shared``: tiktoken files, test models)."""

from __future__ import annotations

import configparser
import os
from pathlib import Path

__all__ = ["configure_tiktoken", "find_shared", "local_origin"]


def local_origin(start: Path) -> Path | None:
    """The local checkout that ``start``'s clone was made from (``git clone . /tmp/x``), if any.

    Read from the clone's ``.git/config``: the ``origin`` remote, when it is a folder here.
    """
    for folder in (start, *start.parents):
        config = folder / ".git" / "config"
        if config.is_file():
            parser = configparser.ConfigParser(strict=False, interpolation=None)
            try:
                parser.read(config, encoding="utf-8")
            except configparser.Error:
                return None
            url = parser.get('remote "origin"', "url", fallback="")
            origin = Path(url.removeprefix("file://"))
            return origin.resolve() if url and origin.is_absolute() and origin.is_dir() else None
    return None


def find_shared(start: Path, relative: str) -> Path | None:
    """The path ``shared/<relative>`` in ``start`` or any folder above it, or None.

    ``POWERTOOLS_SHARED_DIR`` names the shared folder explicitly. A clone of a local checkout
    (a clean clone for CI, made anywhere) also looks beside the checkout it was cloned from.
    """
    explicit = os.environ.get("POWERTOOLS_SHARED_DIR")
    candidates = [Path(explicit)] if explicit else []
    candidates += [folder / "shared" for folder in (start, *start.parents)]
    origin = local_origin(start)
    if origin is not None:
        candidates += [folder / "shared" for folder in (origin, *origin.parents)]
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

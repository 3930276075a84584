"""Sinks by name or URL, through the ``powertools.logging.sinks`` entry-point group.

``"console"``, ``"sqlite:///path/events.db"``, ``"file:///var/log/app.jsonl"``,
``"postgresql://..."``, ``"nats://host:4222"``, ``"kafka://host:9092?topic=logs"``,
``"datadog://?service=api"``, ``"cloudwatch://group?stream=web&region=eu-west-1"``,
``"pubsub://projects/p/topics/t"``: the name (or URL scheme) picks the entry point; a sink with
a ``from_url`` classmethod reads its settings from the whole URL, the others get the path (file,
SQLite) or the URL.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

from powertools.logging._sink import Sink
from powertools.logging.errors import ConfigurationError

__all__ = ["data_dir", "key_dir", "resolve_sink"]

_SCHEMES = {"postgres": "postgresql", "jsonl": "file"}
_PATH_SCHEMES = {"file", "sqlite"}  # the rest of the URL is a path; other sinks take the URL


def data_dir() -> Path:
    """Where the embedded stores live: ``POWERTOOLS_LOGGING_DIR``, else the user's data folder."""
    configured = os.environ.get("POWERTOOLS_LOGGING_DIR")
    if configured:
        return Path(configured).expanduser()
    if os.name == "nt":  # pragma: no cover - Windows
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif Path.home().joinpath("Library", "Application Support").is_dir():  # pragma: no cover
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "powertools" / "logging"


def key_dir() -> Path:
    """Where the audit signing key lives, apart from the trails it signs (see decision 0507):
    ``POWERTOOLS_LOGGING_KEY_DIR``, else the user's configuration folder
    (``$XDG_CONFIG_HOME`` or ``~/.config``, then ``powertools/logging/keys``)."""
    configured = os.environ.get("POWERTOOLS_LOGGING_KEY_DIR")
    if configured:
        return Path(configured).expanduser()
    if os.name == "nt":  # pragma: no cover - Windows
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "powertools" / "logging" / "keys"


@cache
def _registered() -> dict[str, Any]:
    # importlib.metadata costs about 30 ms to import: only a sink named by string needs it.
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group="powertools.logging.sinks")}


def resolve_sink(spec: Sink | str) -> Sink:
    """A sink instance from an instance, a registered name, or a URL whose scheme is a name."""
    if not isinstance(spec, str):
        return spec
    scheme = spec.split("://", 1)[0] if "://" in spec else spec
    scheme = _SCHEMES.get(scheme, scheme)
    entry = _registered().get(scheme)
    if entry is None:
        known = ", ".join(sorted(_registered()))
        raise ConfigurationError(f"no sink named {scheme!r}: use one of {known} or a Sink object")
    factory = entry.load()
    if "://" not in spec:
        return factory()  # type: ignore[no-any-return]
    if hasattr(factory, "from_url"):  # a sink whose settings are spelled in its URL
        return factory.from_url(spec)  # type: ignore[no-any-return]
    target = spec.split("://", 1)[1] if scheme in _PATH_SCHEMES else spec
    return factory(target)  # type: ignore[no-any-return]

"""How this component joins a powertools stack: its ``powertools.components`` entry point.

The meta-package (``ai-powertools``) reads these names; nothing in this package imports them.

>>> session = build({"name": "doc-stack", "store": "memory://stack-doc"}, {})
>>> session.name
'doc-stack'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from powertools.session import Session

NAME = "session"
EXPORTS = {"Session": "powertools.session:Session"}
COMMANDS: dict[str, tuple[str, str]] = {}
OPTIONS = {
    "name": ("str", "stack", "the session that keeps the stack's conversation"),
    "store": (
        "str",
        None,
        "memory://, file:///dir, redis://..., postgresql://..., s3://..., "
        "gs://...; none: a file store in the user's data folder",
    ),
    "ttl": ("float", None, "seconds after the last write when the session may be cleaned up"),
}
AFTER: tuple[str, ...] = ()


def build(options: Mapping[str, Any], parts: Mapping[str, Any]) -> Session:
    """The stack's session: every routed exchange is appended to it."""
    return Session(
        options.get("name") or "stack", store=options.get("store"), ttl=options.get("ttl")
    )

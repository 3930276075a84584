"""How this component joins a powertools stack: its ``powertools.components`` entry point.

The meta-package (``ai-powertools``) reads these names; nothing in this package imports them.

>>> logger = build({"name": "demo", "sinks": ["console"], "level": "warning"}, {})
>>> logger.name, logger.level.name
('demo', 'WARNING')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from powertools.logging import StructuredLogger

NAME = "logging"
EXPORTS = {"StructuredLogger": "powertools.logging:StructuredLogger"}
COMMANDS = {
    "logging": ("powertools-logging's own commands (audit verify)", "powertools.logging.cli:main"),
}
OPTIONS = {
    "name": ("str", "app", "the logger's name, on every event"),
    "level": ("str", "info", "the lowest level kept: debug, info, warning, error, critical"),
    "sinks": (
        "list",
        None,
        "sink names or URLs (console, sqlite:///path, file:///path.jsonl, "
        "postgresql://...); none: the default queryable local store",
    ),
}
AFTER: tuple[str, ...] = ()


def build(options: Mapping[str, Any], parts: Mapping[str, Any]) -> StructuredLogger:
    """The stack's logger: every layer's events land here."""
    return StructuredLogger(
        options.get("name") or "app",
        sinks=options.get("sinks"),
        level=options.get("level") or "info",
    )

"""How this component joins a powertools stack: its ``powertools.components`` entry point.

The meta-package (``ai-powertools``) reads these names; nothing in this package imports them.
``build`` hands the router the parts the other components built: the cost tracker (whose
monthly budget every attempt reserves against), the logger (one event per attempt and per
route), and the retry policy's breaker settings. ``providers`` (objects, not configuration)
may be passed through ``Stack.from_config(objects={"router": {"providers": [...]}})``.

>>> router = build({"local_models": None, "cloud_providers": None, "deadline": 5.0}, {})
>>> router.deadline
5.0
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NAME = "router"
EXPORTS = {"LLMRouter": "powertools.router:LLMRouter"}
COMMANDS: dict[str, tuple[str, str]] = {}
OPTIONS = {
    "local_models": ("list", None, "local models to use (ollama/llama.cpp names); none: found"),
    "cloud_providers": ("list", None, "cloud families to use; none: those whose keys are set"),
    "deadline": ("float", 60.0, "seconds one route may take, failovers included"),
    "hedge": ("bool", False, "send to the next candidate when the first is slower than its p95"),
    "cache_ttl": ("float", None, "seconds identical requests are answered from the cache"),
    "explore": ("float", 0.05, "the largest share of traffic used to explore (0: none)"),
    "learning_store": ("str", None, "a powertools-session store URL to share what it learns"),
    "rate_limits": (
        "bool",
        None,
        "per-provider limits at the providers' published defaults; "
        "none: on when powertools-ratelimit is installed",
    ),
}
AFTER = ("cost", "logging", "retry")


class ContextTraceLogger:
    """The stack's logger, as the router sees it: the stack's trace id wins over the router's.

    The router names each route's events with its own ``trace_id``; inside a stack the
    caller's logging context already holds one, and every layer's events must share it, so
    the router's id is kept as ``route_id`` instead.
    """

    def __init__(self, logger: Any) -> None:
        self._logger = logger

    def __getattr__(self, name: str) -> Any:
        return getattr(self._logger, name)

    def _fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        from powertools.logging import get_context

        if "trace_id" in fields and get_context().get("trace_id"):
            fields["route_id"] = fields.pop("trace_id")
        return fields

    def info(self, event: str, **fields: Any) -> None:
        """Log at info level (see the class docstring for the trace id)."""
        self._logger.info(event, **self._fields(fields))

    def warning(self, event: str, **fields: Any) -> None:
        """Log at warning level (see the class docstring for the trace id)."""
        self._logger.warning(event, **self._fields(fields))

    def error(self, event: str, **fields: Any) -> None:
        """Log at error level (see the class docstring for the trace id)."""
        self._logger.error(event, **self._fields(fields))


def build(options: Mapping[str, Any], parts: Mapping[str, Any]) -> Any:
    """The stack's ``LLMRouter``, wired to the other parts."""
    from powertools.router import LLMRouter

    retry = parts.get("retry")
    breakers: dict[str, Any] = {}
    if retry is not None:
        breakers = {
            "breaker_threshold": retry.failure_threshold,
            "breaker_recovery": retry.recovery_timeout,
        }
    return LLMRouter(
        options.get("local_models"),
        options.get("cloud_providers"),
        providers=tuple(options.get("providers") or ()),
        budget=parts.get("cost"),
        logger=ContextTraceLogger(parts["logging"]) if "logging" in parts else None,
        deadline=float(options.get("deadline") or 60.0),
        hedge=bool(options.get("hedge")),
        cache_ttl=options.get("cache_ttl"),
        explore=0.05 if options.get("explore") is None else float(options["explore"]),
        learning_store=options.get("learning_store"),
        rate_limits=options.get("rate_limits"),
        **breakers,
    )

"""How this component joins a powertools stack: its ``powertools.components`` entry point.

The meta-package (``ai-powertools``) reads these names; nothing in this package imports them.

>>> policy = build({"max_attempts": 2, "failure_threshold": 3, "recovery_timeout": 5.0}, {})
>>> policy.breaker("openai/gpt-4o").state.value
'closed'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from powertools.retry import CircuitBreaker

NAME = "retry"
EXPORTS = {
    "ErrorHandler": "powertools.retry:ErrorHandler",
    "retry": "powertools.retry:retry",
    "circuit_breaker": "powertools.retry:circuit_breaker",
}
COMMANDS: dict[str, tuple[str, str]] = {}
OPTIONS = {
    "max_attempts": ("int", 2, "tries of one model before failing over to the next"),
    "failure_threshold": ("int", 5, "consecutive failures that open a model's breaker"),
    "recovery_timeout": ("float", 30.0, "seconds an open breaker waits before a probe call"),
}
AFTER: tuple[str, ...] = ()


@dataclass(slots=True)
class RetryPolicy:
    """The stack's retry settings and one circuit breaker per provider and model."""

    max_attempts: int
    failure_threshold: int
    recovery_timeout: float
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)

    def breaker(self, name: str) -> CircuitBreaker:
        """The breaker called ``name`` (``provider/model``), made on first use."""
        found = self.breakers.get(name)
        if found is None:
            found = self.breakers[name] = CircuitBreaker(
                name,
                failure_threshold=self.failure_threshold,
                recovery_timeout=self.recovery_timeout,
            )
        return found


def build(options: Mapping[str, Any], parts: Mapping[str, Any]) -> RetryPolicy:
    """The stack's retry policy."""
    return RetryPolicy(
        max_attempts=int(options.get("max_attempts") or 2),
        failure_threshold=int(options.get("failure_threshold") or 5),
        recovery_timeout=float(options.get("recovery_timeout") or 30.0),
    )

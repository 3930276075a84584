"""What ``LLMRouter.route()`` returns: the answer, where it came from, what it cost, and how."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from powertools.cost import Usage
from powertools.router._engine import Decision
from powertools.router._request import FinishReason, Response, ToolCall

__all__ = ["Attempt", "RouteResult"]


@dataclass(slots=True, frozen=True)
class Attempt:
    """One try of one candidate inside a route.

    ``outcome`` is ``ok``, ``failed``, ``skipped`` (never sent: budget, rate limit, open
    circuit) or ``cancelled`` (a hedge that lost). ``category`` is the ``powertools.retry``
    category of a failure.
    """

    provider: str
    model: str
    outcome: str
    reason: str = ""
    category: str | None = None
    latency_ms: float = 0.0
    cost: Decimal = Decimal(0)
    status_code: int | None = None
    hedge: bool = False


@dataclass(slots=True, frozen=True)
class RouteResult:
    """The answer of one route.

    ``cost`` is what every attempt of the route cost together (a hedge's too), in dollars;
    ``latency_ms`` the whole route's time. ``decision.explain()`` says why this model.
    """

    text: str
    provider: str
    model: str
    cost: Decimal
    latency_ms: float
    usage: Usage
    decision: Decision
    attempts: tuple[Attempt, ...]
    finish_reason: FinishReason = FinishReason.STOP
    tool_calls: tuple[ToolCall, ...] = ()
    response: Response | None = None
    cached: bool = False
    trace_id: str = ""
    complexity: float = 0.0
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def key(self) -> str:
        """``provider/model`` of the answer."""
        return f"{self.provider}/{self.model}"

    def __str__(self) -> str:
        return self.text

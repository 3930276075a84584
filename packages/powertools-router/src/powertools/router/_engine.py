"""The decision: which candidate to try first, and in which order to fail over. Pure: no I/O.

:func:`decide` is a function of what the request needs (:class:`Needs`), the candidates
(``_catalog.Candidate``) and what the router has observed of each (:class:`State`). It

1. **filters** out what cannot serve the request: an auth failure, an open circuit (one past
   its recovery time is "probe-able" and stays in), a missing capability (tools, vision, JSON
   schema), a context window too small for the prompt plus the answer, a worst case above
   ``max_cost_usd`` or above what is left of the budget, a rate-limit wait longer than the
   deadline allows;
2. **scores** the rest: expected cost (prices x token estimate, at the prompt's tier),
   predicted latency (rate-limit wait + time to first token + answer / speed), quality for
   this complexity;
3. **picks the cheapest candidate that meets the quality and latency bar** (ties: higher
   quality, then lower latency, then name), so a larger budget never buys a pricier model when
   a cheaper one is good enough, and a free local model that is good enough always wins. The
   ones below the bar follow, closest to it first: the graceful-degradation order.

The same inputs give the same decision, whatever the order of the candidates.

>>> from powertools.router.providers.simulated import SimulatedProvider
>>> import asyncio
>>> from powertools.router._catalog import Catalog
>>> infos = asyncio.run(SimulatedProvider().models())
>>> candidates = [Catalog().candidate(i) for i in infos]
>>> d = decide(Needs(prompt_tokens=50, max_tokens=500, complexity=0.3, required_quality=0.5),
...            candidates)
>>> d.chosen.candidate.local, d.chosen.cost_fd
(True, 0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from powertools.cost import usd
from powertools.router._catalog import Candidate, quality_at

__all__ = ["Decision", "Dropped", "Needs", "Scored", "State", "decide"]

_EXPECTED_OUTPUT = 400  # tokens of a typical answer, when max_tokens allows it


@dataclass(slots=True, frozen=True)
class Needs:
    """What one request needs. Money in femto-dollars; ``time_left`` in seconds."""

    prompt_tokens: int
    max_tokens: int
    complexity: float
    required_quality: float
    max_latency_ms: float | None = None
    max_cost_fd: int | None = None
    budget_fd: int | None = None
    time_left: float | None = None
    tools: bool = False
    vision: bool = False
    json_schema: bool = False
    output_tokens: int | None = None

    @property
    def expected_output(self) -> int:
        """The answer's expected length in tokens."""
        if self.output_tokens is not None:
            return min(self.output_tokens, self.max_tokens)
        return min(_EXPECTED_OUTPUT, self.max_tokens)


@dataclass(slots=True, frozen=True)
class State:
    """What the router has observed of one candidate (``None``: use the catalogue's prior)."""

    quality: float | None = None
    quality_sd: float = 0.1
    ttft: float | None = None
    tokens_per_second: float | None = None
    breaker: str = "closed"  # closed, open, probe (open past its recovery time), half_open
    breaker_wait: float = 0.0
    blocked: str | None = None
    rate_wait: float = 0.0
    explored: bool = False


_FRESH = State()


@dataclass(slots=True, frozen=True)
class Scored:
    """A candidate that passed the filters, with its numbers."""

    candidate: Candidate
    cost_fd: int
    worst_fd: int
    latency_ms: float
    quality: float
    quality_sd: float
    max_tokens: int
    meets_quality: bool
    meets_latency: bool
    state: State

    @property
    def meets_bar(self) -> bool:
        """Whether it meets both the quality and the latency bar."""
        return self.meets_quality and self.meets_latency

    @property
    def cost(self) -> Decimal:
        """The expected cost in dollars."""
        return usd(self.cost_fd)


@dataclass(slots=True, frozen=True)
class Dropped:
    """A candidate the filters removed, and why (one sentence)."""

    candidate: Candidate
    reason: str


@dataclass(slots=True, frozen=True)
class Decision:
    """The ranking (``ranked[0]`` is the choice), what was dropped, and a confidence in [0, 1]."""

    needs: Needs
    ranked: tuple[Scored, ...]
    dropped: tuple[Dropped, ...]
    confidence: float

    @property
    def chosen(self) -> Scored | None:
        """The first candidate to try, or ``None`` when every candidate was dropped."""
        return self.ranked[0] if self.ranked else None

    def explain(self) -> str:
        """Every candidate, why it was dropped or where it ranked, with the numbers."""
        from powertools.router._explain import explain

        return explain(self)


def decide(
    needs: Needs,
    candidates: Sequence[Candidate],
    states: Mapping[str, State] | None = None,
) -> Decision:
    """Filter, score and rank ``candidates`` for ``needs`` (see the module docstring)."""
    states = states or {}
    kept: list[Scored] = []
    dropped: list[Dropped] = []
    for candidate in candidates:
        state = states.get(candidate.key, _FRESH)
        out = min(needs.max_tokens, candidate.max_output)
        worst = candidate.worst_case_fd(needs.prompt_tokens, out)
        reason = _filter(needs, candidate, state, out, worst)
        if reason is None:
            kept.append(_score(needs, candidate, state, out, worst))
        else:
            dropped.append(Dropped(candidate, reason))
    good = sorted(
        (s for s in kept if s.meets_bar),
        key=lambda s: (s.cost_fd, -s.quality, s.latency_ms, s.candidate.key),
    )
    rest = sorted((s for s in kept if not s.meets_bar), key=_degraded_order)
    ranked = (*good, *rest)
    dropped.sort(key=lambda d: d.candidate.key)
    confidence = _confidence(needs, ranked[0]) if ranked else 0.0
    return Decision(needs, ranked, tuple(dropped), confidence)


def _degraded_order(s: Scored) -> tuple[int, float, int, str]:
    # below the bar: those that meet the quality bar first (fastest first), then by quality
    if s.meets_quality:
        return (0, s.latency_ms, s.cost_fd, s.candidate.key)
    return (1, -s.quality, s.cost_fd, s.candidate.key)


def _filter(needs: Needs, c: Candidate, state: State, out: int, worst: int) -> str | None:
    if state.blocked is not None:
        return state.blocked
    if state.breaker == "open":
        return f"circuit open after repeated failures (probe-able in {state.breaker_wait:.1f} s)"
    missing = _missing_capability(needs, c)
    if missing is not None:
        return f"cannot {missing}"
    if needs.prompt_tokens + out > c.context_window:
        return (
            f"context window {c.context_window:,} tokens < prompt ~{needs.prompt_tokens:,} "
            f"+ answer {out:,}"
        )
    return _money_or_time(needs, state, worst)


def _missing_capability(needs: Needs, c: Candidate) -> str | None:
    caps = c.capabilities
    if needs.tools and not caps.tools:
        return "call tools"
    if needs.vision and not caps.vision:
        return "read images"
    if needs.json_schema and not caps.json_schema:
        return "follow a JSON schema"
    return None


def _money_or_time(needs: Needs, state: State, worst: int) -> str | None:
    if needs.max_cost_fd is not None or needs.budget_fd is not None:
        if needs.max_cost_fd is not None and worst > needs.max_cost_fd:
            return f"worst case ${usd(worst)} > max_cost_usd ${usd(needs.max_cost_fd)}"
        if needs.budget_fd is not None and worst > needs.budget_fd:
            return f"worst case ${usd(worst)} > budget left ${usd(needs.budget_fd)}"
    if needs.time_left is not None and state.rate_wait > needs.time_left:
        return (
            f"rate limit wait ~{state.rate_wait:.1f} s > the {needs.time_left:.1f} s "
            "the deadline leaves"
        )
    return None


def _score(needs: Needs, c: Candidate, state: State, out: int, worst: int) -> Scored:
    expected = min(needs.expected_output, out)
    ttft = c.ttft if state.ttft is None else state.ttft
    speed = c.tokens_per_second if state.tokens_per_second is None else state.tokens_per_second
    latency_ms = (state.rate_wait + ttft + expected / max(speed, 1e-6)) * 1000.0
    quality = quality_at(c.quality, needs.complexity) if state.quality is None else state.quality
    meets_latency = needs.max_latency_ms is None or latency_ms <= needs.max_latency_ms
    return Scored(
        candidate=c,
        cost_fd=c.expected_cost_fd(needs.prompt_tokens, expected),
        worst_fd=worst,
        latency_ms=latency_ms,
        quality=quality,
        quality_sd=state.quality_sd,
        max_tokens=out,
        meets_quality=quality >= needs.required_quality,
        meets_latency=meets_latency,
        state=state,
    )


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _confidence(needs: Needs, s: Scored) -> float:
    """How likely the choice meets the bar: P(quality >= bar) x P(latency <= max)."""
    p_quality = _phi((s.quality - needs.required_quality) / max(s.quality_sd, 0.02))
    p_latency = 1.0
    if needs.max_latency_ms is not None:
        spread = max(0.35 * s.latency_ms, 1.0)
        p_latency = _phi((needs.max_latency_ms - s.latency_ms) / spread)
    health = 0.7 if s.state.breaker in ("probe", "half_open") else 1.0
    return round(p_quality * p_latency * health, 3)

"""``Decision.explain()``: one readable block with every candidate and the numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from powertools.cost import usd

if TYPE_CHECKING:
    from powertools.router._engine import Decision, Scored

__all__ = ["explain"]


def _money(fd: int) -> str:
    value = usd(fd)
    return "$0" if value == 0 else "$" + f"{value:.6f}".rstrip("0").rstrip(".")


def _verdict(decision: Decision, s: Scored) -> str:
    needs = decision.needs
    if s.meets_bar:
        return "meets the bar"
    if not s.meets_quality:
        return f"below the quality bar ({s.quality:.2f} < {needs.required_quality:.2f})"
    return f"too slow ({s.latency_ms:,.0f} ms > {needs.max_latency_ms:,.0f} ms)"


def _headline(decision: Decision) -> str:
    chosen = decision.chosen
    if chosen is None:
        return "no candidate can serve this request"
    good = sum(1 for s in decision.ranked if s.meets_bar)
    if chosen.meets_bar:
        why = f"the cheapest of {good} that meet the bar"
    else:
        why = "nothing meets the bar: the closest to it (degraded)"
    return f"chose {chosen.candidate.key}: {why}, confidence {decision.confidence:.2f}"


def explain(decision: Decision) -> str:
    """The decision as text (see ``docs/router/decision.md`` for a worked example)."""
    n = decision.needs
    limits = [
        f"complexity {n.complexity:.2f}",
        f"quality bar {n.required_quality:.2f}",
        f"prompt ~{n.prompt_tokens:,} tokens",
        f"max_tokens {n.max_tokens:,}",
    ]
    if n.max_latency_ms is not None:
        limits.append(f"max latency {n.max_latency_ms:,.0f} ms")
    if n.max_cost_fd is not None:
        limits.append(f"max cost {_money(n.max_cost_fd)}")
    if n.budget_fd is not None:
        limits.append(f"budget left {_money(n.budget_fd)}")
    lines = ["request: " + ", ".join(limits), _headline(decision)]
    width = max((len(s.candidate.key) for s in decision.ranked), default=9)
    width = max([width, *(len(d.candidate.key) for d in decision.dropped)])
    lines.append(
        f"  {'#':>2}  {'candidate':<{width}}  quality  latency ms  expected   worst case  verdict"
    )
    for rank, s in enumerate(decision.ranked, 1):
        sampled = " (explored)" if s.state.explored else ""
        lines.append(
            f"  {rank:>2}  {s.candidate.key:<{width}}  {s.quality:>7.2f}  {s.latency_ms:>10,.0f}"
            f"  {_money(s.cost_fd):<9}  {_money(s.worst_fd):<10}  {_verdict(decision, s)}"
            f"{sampled}"
        )
    for d in decision.dropped:
        lines.append(f"   -  {d.candidate.key:<{width}}  dropped: {d.reason}")
    return "\n".join(lines)

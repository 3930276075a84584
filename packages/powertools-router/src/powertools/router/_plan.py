"""The choice without the whole analysis: what a request profile fixes is worked out once.

Most of a candidate's numbers do not depend on the prompt: its answer size, predicted
latency and quality, whether it meets the quality and latency bar, and the output part of its
expected and worst-case cost. They depend only on the request's *profile* (``max_tokens``,
the expected answer, complexity, the bars and the capabilities asked for), which repeats
from request to request of one task. A :class:`Plan` holds them, for the candidates nothing
has been observed of: the ones that meet the bar sorted by that fixed output cost ``b``, the
others by the prompt-independent part of the degraded order.

A plan is made the second time a profile is asked for (the first time, the engine analyses
every candidate, as it does for a profile that never repeats). A request then costs each
candidate ``a * prompt + b`` (its input rate ``a``); since ``b`` alone is a lower bound of
that, the scan stops at the first candidate whose ``b`` exceeds the best cost found so far:
with a sensible catalogue a handful of the 50 are looked at. Candidates the router has
observed (``states``) and ones with context-tiered prices are scored in full, as the
analysis scores them. When none of them meets the bar, the degraded choice is the first of
the others that fits, ties on its leading key broken by cost and key.
``tests/test_engine.py`` checks the choice against a plain reference implementation.

>>> from powertools.router.providers.simulated import SimulatedProvider
>>> import asyncio
>>> from powertools.router._catalog import Catalog
>>> from powertools.router._engine import Needs
>>> cs = tuple(Catalog().candidate(i) for i in asyncio.run(SimulatedProvider().models()))
>>> needs = Needs(prompt_tokens=50, max_tokens=500, complexity=0.3, required_quality=0.5)
>>> plan_for(needs, cs, expected=400, need_mask=0) is None  # asked for once: no plan yet
True
>>> plan = plan_for(needs, cs, expected=400, need_mask=0)
>>> best = plan.good[0]  # the lowest fixed cost first: a local model, free
>>> best[8].local, best[0]
(True, 0)
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import is_
from typing import TYPE_CHECKING, Any

from powertools.router._catalog import Candidate, quality_at

if TYPE_CHECKING:
    from powertools.router._engine import Needs

__all__ = ["Plan", "plan_for"]

_MAX_PLANS = 256  # profiles kept; a router sees a few per task type

# One fresh candidate that meets the bar: (b, a, worst_in, worst_out_part, prompt_limit,
# -quality, latency_ms, key, candidate, out, quality); b = expected output cost.
_Good = tuple[int, int, int, int, int, float, float, str, Candidate, int, float]
# One below the bar, led by the degraded order's prompt-independent part: (group, then
# latency if it meets the quality bar, else -quality), then as ``_Good`` and meets_quality.
_Rest = tuple[
    int, float, int, int, int, int, int, float, float, str, Candidate, int, float, bool, bool
]


class Plan:
    """A profile's prompt-independent numbers for one tuple of candidates."""

    __slots__ = ("by_key", "candidates", "good", "rest", "tiered", "unique")

    def __init__(
        self, needs: Needs, candidates: tuple[Candidate, ...], expected: int, need_mask: int
    ) -> None:
        max_tokens, complexity = needs.max_tokens, needs.complexity
        bar, max_latency = needs.required_quality, needs.max_latency_ms
        self.candidates = candidates
        self.by_key = {c.key: c for c in candidates}
        self.unique = len(self.by_key) == len(candidates)  # else only the analysis tells apart
        self.tiered: tuple[Candidate, ...] = tuple(c for c in candidates if c.facts[1] is None)
        good: list[_Good] = []
        rest: list[_Rest] = []
        for c in candidates:
            key, w_in, w_out, e_in, e_out, m_out, context, mask, prior, _, ttft, speed = c.facts
            if w_in is None or mask & need_mask != need_mask:
                continue  # tiered prices are scored per request; a missing capability never fits
            # the same expressions as ``_engine._analyse``'s inline path: the same floats
            out = max_tokens if max_tokens <= m_out else m_out
            ex = expected if expected <= out else out
            latency = (0.0 + ttft + ex / (speed if speed > 1e-6 else 1e-6)) * 1000.0
            quality = quality_at(prior, complexity)
            fixed = (ex * e_out, e_in, w_in, out * w_out, context - out, -quality, latency,
                     key, c, out, quality)  # fmt: skip
            meets_q = quality >= bar
            meets_l = max_latency is None or latency <= max_latency
            if meets_q and meets_l:
                good.append(fixed)
            else:
                rest.append((0, latency, *fixed, True, meets_l) if meets_q else
                            (1, -quality, *fixed, False, meets_l))  # fmt: skip
        good.sort(key=_by_fixed_cost)
        rest.sort(key=_by_degraded_order)
        self.good = tuple(good)
        self.rest = tuple(rest)


def _by_fixed_cost(row: _Good) -> tuple[int, int, float, float, str]:
    return row[0], row[1], row[5], row[6], row[7]


def _by_degraded_order(row: _Rest) -> tuple[int, float, str]:
    return row[0], row[1], row[9]


_PLANS: dict[tuple[Any, ...], Plan] = {}
_SEEN: set[int] = set()  # hashes of the profiles asked for once (a collision only plans early)
_MAX_SEEN = 4_096


def plan_for(
    needs: Needs, candidates: Sequence[Candidate], *, expected: int, need_mask: int
) -> Plan | None:
    """The plan of ``needs``' profile for these candidates, made the second time the profile
    is asked for; ``None`` the first time (a profile that never repeats, such as a new
    complexity each call, costs the plain analysis and no more) and when two candidates share
    a key (then only the whole analysis tells them apart).
    ``expected`` and ``need_mask`` are the answer size and capability bits it implies."""
    # by the sequence's identity, and the plan's candidates checked to be the very same objects
    # (a list changed in place gets a new plan); two routers' catalogues get a plan each
    key = (
        needs.max_tokens, needs.output_tokens, needs.complexity, needs.required_quality,
        needs.max_latency_ms, needs.tools, needs.vision, needs.json_schema, id(candidates),
    )  # fmt: skip
    plan = _PLANS.get(key)
    if plan is None or not _same(plan.candidates, candidates):
        seen = hash(key)
        if plan is None and seen not in _SEEN:  # a profile seen once may never come back
            if len(_SEEN) >= _MAX_SEEN:
                _SEEN.clear()
            _SEEN.add(seen)
            return None
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        plan = _PLANS[key] = Plan(needs, tuple(candidates), expected, need_mask)
    return plan if plan.unique else None


def _same(planned: tuple[Candidate, ...], candidates: Sequence[Candidate]) -> bool:
    return len(planned) == len(candidates) and all(map(is_, planned, candidates))

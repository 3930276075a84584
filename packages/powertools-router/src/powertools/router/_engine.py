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
from operator import itemgetter

from powertools.cost import usd
from powertools.router._catalog import SCHEMA, TOOLS, VISION, Candidate, quality_at
from powertools.router._plan import Plan, _Good, _Rest, plan_for

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


# One kept candidate's numbers, ordered as the "meets the bar" group sorts them:
# (cost_fd, -quality, latency_ms, key, candidate, state, worst_fd, max_tokens, quality, meets_q,
#  meets_latency). Plain tuples: the engine builds one per candidate per route.
_Row = tuple[int, float, float, str, Candidate, State, int, int, float, bool, bool]


class Decision:
    """The ranking (``ranked[0]`` is the choice), what was dropped, and a confidence in [0, 1].

    The ranking is kept as rows and turned into :class:`Scored` objects when asked for, so a
    route that succeeds at its first candidate builds one. A decision whose choice came from
    the profile's plan keeps its inputs and works out the whole ranking, and why each dropped
    candidate was dropped, only when something past the choice is asked for (a failover,
    ``len()``, ``dropped``, ``explain()``).
    """

    __slots__ = (
        "_confidence", "_dropped", "_first", "_groups", "_n", "_pending", "_rows", "_scored",
        "needs",
    )  # fmt: skip

    def __init__(
        self,
        needs: Needs,
        rows: tuple[_Row, ...],
        dropped: tuple[Dropped, ...],
        confidence: float,
    ) -> None:
        self.needs = needs
        self._dropped = dropped
        self._confidence: float | None = confidence
        self._rows: tuple[_Row, ...] | None = rows
        self._groups: tuple[list[_Row], list[_Row]] | None = None
        self._first: _Row | None = rows[0] if rows else None
        self._n = len(rows)
        self._scored: dict[int, Scored] = {}
        self._pending: tuple[Sequence[Candidate], Mapping[str, State] | None] | None = None

    @classmethod
    def unsorted(
        cls,
        needs: Needs,
        good: list[_Row],
        rest: list[_Row],
        dropped: tuple[Dropped, ...],
        first: _Row | None,
    ) -> Decision:
        """A decision whose choice is ``first`` and whose groups are sorted when asked for."""
        decision = cls(needs, (), dropped, 0.0)
        decision._rows, decision._groups = None, (good, rest)
        decision._confidence = None if first else 0.0
        decision._first, decision._n = first, len(good) + len(rest)
        return decision

    @classmethod
    def deferred(
        cls,
        needs: Needs,
        first: _Row,
        candidates: Sequence[Candidate],
        states: Mapping[str, State] | None,
    ) -> Decision:
        """A decision whose choice is ``first``; the rest is analysed when first asked for."""
        decision = cls(needs, (), (), 0.0)
        decision._rows, decision._confidence = None, None
        decision._first, decision._pending = first, (candidates, states)
        return decision

    def _analysed(self) -> None:
        if self._pending is not None:
            candidates, states = self._pending
            good, rest, self._dropped, _ = _analyse(self.needs, candidates, states)
            self._groups, self._n, self._pending = (good, rest), len(good) + len(rest), None

    @property
    def dropped(self) -> tuple[Dropped, ...]:
        """The candidates the filters removed, by key, each with its reason."""
        self._analysed()
        return self._dropped

    def has(self, index: int) -> bool:
        """Whether a candidate is ranked ``index`` (the choice needs no further analysis)."""
        if index == 0 and self._first is not None:
            return True
        return index < len(self)

    @property
    def confidence(self) -> float:
        """How likely the choice meets the bar, in [0, 1] (worked out when first asked for)."""
        if self._confidence is None:
            assert self._first is not None
            self._confidence = _confidence(self.needs, self._first)
        return self._confidence

    @property
    def rows(self) -> tuple[_Row, ...]:
        """Every kept candidate's numbers, in failover order."""
        if self._rows is None:
            self._analysed()
            assert self._groups is not None
            good, rest = self._groups
            good.sort(key=_first_four)
            rest.sort(key=_degraded_order)
            self._rows, self._groups = (*good, *rest), None
        return self._rows

    def __len__(self) -> int:
        self._analysed()
        return self._n

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        mine = (self.needs, self.rows, self.dropped, self.confidence)
        return mine == (other.needs, other.rows, other.dropped, other.confidence)

    __hash__ = None  # type: ignore[assignment]  # mutable caches: not hashable, as before

    def __repr__(self) -> str:
        chosen = self._first[3] if self._first else None
        return f"Decision(chosen={chosen!r}, ranked={len(self)}, dropped={len(self.dropped)})"

    def at(self, index: int) -> Scored:
        """The candidate ranked ``index`` (0 is the choice)."""
        found = self._scored.get(index)
        if found is None:
            row = self._first if index == 0 and self._first is not None else self.rows[index]
            found = self._scored[index] = _scored(row)
        return found

    @property
    def ranked(self) -> tuple[Scored, ...]:
        """Every candidate that passed the filters, in failover order."""
        return tuple(self.at(i) for i in range(len(self)))

    @property
    def chosen(self) -> Scored | None:
        """The first candidate to try, or ``None`` when every candidate was dropped."""
        return self.at(0) if self._first is not None else None

    def explain(self) -> str:
        """Every candidate, why it was dropped or where it ranked, with the numbers."""
        from powertools.router._explain import explain

        return explain(self)


def _scored(row: _Row) -> Scored:
    cost, _, latency, _, c, state, worst, out, quality, meets_q, meets_l = row
    return Scored(c, cost, worst, latency, quality, state.quality_sd, out, meets_q, meets_l, state)


_NO_STATES: Mapping[str, State] = {}


def decide(
    needs: Needs,
    candidates: Sequence[Candidate],
    states: Mapping[str, State] | None = None,
) -> Decision:
    """Filter, score and rank ``candidates`` for ``needs`` (see the module docstring).

    The choice comes from the profile's :class:`~powertools.router._plan.Plan` (worked out
    once per request profile) when a candidate meets the bar; the whole ranking and the
    reasons for what was dropped are worked out when first asked for (a failover,
    ``explain()``). Otherwise the whole analysis runs at once and orders the degraded rest.
    """
    pre = _precomputed(needs)
    plan = plan_for(needs, candidates, expected=pre[2], need_mask=pre[3])
    if plan is not None:
        first = _choose(needs, plan, states, pre)
        if first is not None:
            return Decision.deferred(needs, first, plan.candidates, states)
    good, rest, dropped, first = _analyse(needs, candidates, states)
    return Decision.unsorted(needs, good, rest, dropped, first)


def _choose(
    needs: Needs, plan: Plan, states: Mapping[str, State] | None, pre: tuple[bool, int, int, int]
) -> _Row | None:
    """The choice's row when some candidate meets the bar, else ``None`` (see ``_plan``)."""
    chosen = _cheapest_fresh(plan, needs.prompt_tokens, pre[1], states)
    if not (states or plan.tiered):
        return chosen if chosen is not None else _first_degraded(plan, needs.prompt_tokens, pre[1])
    # observed candidates and context-tiered prices: scored in full, as the analysis does
    others = [(c, _FRESH) for c in plan.tiered if not (states and c.key in states)]
    if states:
        others += [(plan.by_key[k], s) for k, s in states.items() if k in plan.by_key]
    scratch: list[Dropped] = []
    below: list[_Row] = []
    for c, state in others:
        row = _row(needs, c, state, pre, scratch)
        if row is None:
            continue
        if not (row[9] and row[10]):
            below.append(row)
        elif chosen is None or row[:4] < chosen[:4]:
            chosen = row
    if chosen is not None:
        return chosen
    fresh = _first_degraded(plan, needs.prompt_tokens, pre[1], states)
    return min(below if fresh is None else [*below, fresh], key=_degraded_order, default=None)


def _cheapest_fresh(
    plan: Plan, prompt: int, cap: int, states: Mapping[str, State] | None
) -> _Row | None:
    """The cheapest unobserved flat-priced candidate that meets the bar and fits the request."""
    best: _Good | None = None
    best_cost = 0
    for row in plan.good:
        b, a, w_in, w_out_part, limit, neg_q, latency, key, _, _, _ = row
        if best is not None and b > best_cost:
            break  # every later one costs at least its b
        if (states and key in states) or prompt > limit or prompt * w_in + w_out_part > cap:
            continue
        cost = prompt * a + b
        if (
            best is None
            or cost < best_cost
            or (cost == best_cost and (neg_q, latency, key) < (best[5], best[6], best[7]))
        ):
            best, best_cost = row, cost
    if best is None:
        return None
    return (best_cost, best[5], best[6], best[7], best[8], _FRESH,
            prompt * best[2] + best[3], best[9], best[10], True, True)  # fmt: skip


def _first_degraded(
    plan: Plan, prompt: int, cap: int, states: Mapping[str, State] | None = None
) -> _Row | None:
    """The first unobserved flat-priced candidate below the bar in the degraded order."""
    best: _Rest | None = None
    best_cost = 0
    for row in plan.rest:
        if best is not None and (row[0], row[1]) != (best[0], best[1]):
            break  # the order's leading part only grows: ties on it are all looked at
        b, a, w_in, w_out_part, limit, key = row[2], row[3], row[4], row[5], row[6], row[9]
        if (states and key in states) or prompt > limit or prompt * w_in + w_out_part > cap:
            continue
        cost = prompt * a + b
        if best is None or (cost, key) < (best_cost, best[9]):
            best, best_cost = row, cost
    if best is None:
        return None
    return (best_cost, best[7], best[8], best[9], best[10], _FRESH,
            prompt * best[4] + best[5], best[11], best[12], best[13], best[14])  # fmt: skip


def _analyse(
    needs: Needs,
    candidates: Sequence[Candidate],
    states: Mapping[str, State] | None,
) -> tuple[list[_Row], list[_Row], tuple[Dropped, ...], _Row | None]:
    """Every candidate filtered and scored: (meets the bar, the rest, dropped, the choice).

    The common candidate (nothing observed of it, flat prices, it fits and is affordable) is
    scored inline from its precomputed ``facts``, in plain floats and ints; any other goes
    through :func:`_row`, which gives the same numbers and says why one is dropped.
    """
    get = (states or _NO_STATES).get
    pre = _precomputed(needs)
    _, money_cap, expected, need_mask = pre
    prompt, max_tokens, complexity = needs.prompt_tokens, needs.max_tokens, needs.complexity
    bar, max_latency = needs.required_quality, needs.max_latency_ms
    good: list[_Row] = []
    rest: list[_Row] = []
    dropped: list[Dropped] = []
    for c in candidates:
        key, w_in, w_out, e_in, e_out, m_out, context, mask, prior, easy, ttft, speed = c.facts
        state = get(key) if states else None
        out = max_tokens if max_tokens <= m_out else m_out
        if state is None and w_in is not None:
            worst = prompt * w_in + out * w_out
            if worst <= money_cap and prompt + out <= context and mask & need_mask == need_mask:
                ex = expected if expected <= out else out
                latency = (0.0 + ttft + ex / (speed if speed > 1e-6 else 1e-6)) * 1000.0
                quality = (
                    easy
                    if complexity <= prior
                    else round(max(0.0, prior - 0.2 * (complexity - prior)), 4)
                )  # quality_at(prior, complexity), inline
                meets_q = quality >= bar
                meets_l = max_latency is None or latency <= max_latency
                fast: _Row = (prompt * e_in + ex * e_out, -quality, latency, key, c, _FRESH,
                       worst, out, quality, meets_q, meets_l)  # fmt: skip
                (good if meets_q and meets_l else rest).append(fast)
                continue
        row = _row(needs, c, _FRESH if state is None else state, pre, dropped)
        if row is not None:
            (good if row[9] and row[10] else rest).append(row)
    if dropped:
        dropped.sort(key=lambda d: d.candidate.key)
    if good:
        first: _Row | None = good[0] if len(good) == 1 else min(good, key=_first_four)
    else:
        first = min(rest, key=_degraded_order) if rest else None
    return good, rest, tuple(dropped), first


_first_four = itemgetter(0, 1, 2, 3)

_NO_CAP = 1 << 127


def _precomputed(needs: Needs) -> tuple[bool, int, int, int]:
    """Per request, once: whether capabilities need checking, the money cap, the answer size,
    and the capability bits it needs."""
    mask = (needs.tools and TOOLS) | (needs.vision and VISION) | (needs.json_schema and SCHEMA)
    cap, budget = needs.max_cost_fd, needs.budget_fd
    if cap is None:
        cap = _NO_CAP if budget is None else budget
    elif budget is not None and budget < cap:
        cap = budget
    out = needs.output_tokens
    expected = _EXPECTED_OUTPUT if out is None else out
    return bool(mask), cap, expected if expected <= needs.max_tokens else needs.max_tokens, mask


def _row(
    needs: Needs,
    c: Candidate,
    state: State,
    pre: tuple[bool, int, int, int],
    dropped: list[Dropped],
) -> _Row | None:
    out = needs.max_tokens if needs.max_tokens <= c.max_output else c.max_output
    worst = c.worst_case_fd(needs.prompt_tokens, out)
    caps, money_cap, expected, _ = pre
    # the common case (fresh, fits, affordable) skips _filter, which only says why not
    if (
        caps
        or state is not _FRESH
        or worst > money_cap
        or needs.prompt_tokens + out > c.context_window
    ):
        reason = _filter(needs, c, state, out, worst)
        if reason is not None:
            dropped.append(Dropped(c, reason))
            return None
    expected = expected if expected <= out else out
    ttft = c.ttft if state.ttft is None else state.ttft
    speed = c.tokens_per_second if state.tokens_per_second is None else state.tokens_per_second
    latency = (state.rate_wait + ttft + expected / (speed if speed > 1e-6 else 1e-6)) * 1000.0
    quality = quality_at(c.quality, needs.complexity) if state.quality is None else state.quality
    meets_latency = needs.max_latency_ms is None or latency <= needs.max_latency_ms
    cost = c.expected_cost_fd(needs.prompt_tokens, expected)
    meets_q = quality >= needs.required_quality
    return cost, -quality, latency, c.key, c, state, worst, out, quality, meets_q, meets_latency


def _degraded_order(row: _Row) -> tuple[int, float, int, str]:
    # below the bar: those that meet the quality bar first (fastest first), then by quality
    if row[9]:
        return (0, row[2], row[0], row[3])
    return (1, row[1], row[0], row[3])


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


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _confidence(needs: Needs, row: _Row) -> float:
    """How likely the choice meets the bar: P(quality >= bar) x P(latency <= max)."""
    latency, state, quality = row[2], row[5], row[8]
    p_quality = _phi((quality - needs.required_quality) / max(state.quality_sd, 0.02))
    p_latency = 1.0
    if needs.max_latency_ms is not None:
        spread = max(0.35 * latency, 1.0)
        p_latency = _phi((needs.max_latency_ms - latency) / spread)
    health = 0.7 if state.breaker in ("probe", "half_open") else 1.0
    return round(p_quality * p_latency * health, 3)

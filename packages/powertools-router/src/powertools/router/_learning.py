"""Learning from outcomes: a Beta posterior of quality per model and complexity band.

The prior of (model, band) is the catalogue's quality at that band's complexity, worth
``prior_strength`` observations. Each outcome adds a score in [0, 1] with a weight: explicit
``feedback()`` (weight 1), a refusal or a response that did not match its schema (score 0,
weight 1), an answer cut at ``max_tokens`` (score 0, weight 0.5), a failed call (score 0,
weight 0.2). The engine then compares the posterior mean with the quality bar.

**Exploration** is Thompson sampling, bounded: on at most ``explore`` of the routes (a share,
0.05 by default), every candidate's quality is a draw from its posterior instead of its mean,
so a model that was unlucky early gets a chance again. ``explore=0`` switches it off and
makes routing deterministic.

**Persistence**: a :class:`LearningStore` keeps the evidence (not the posteriors) shared by a
fleet. Each router adds its pending evidence with a compare-and-swap, retried on conflict, so
no update is lost and none is counted twice. :class:`SessionLearningStore` is one over any
``powertools-session`` store URL (``redis://``, ``postgresql://``, ``file://``, ``memory://``).

>>> learner = Learner(explore=0)
>>> learner.mean("sim/m", 0.9, complexity=0.8)
0.9
>>> for _ in range(10):
...     learner.update("sim/m", 0.8, 0.0)
>>> round(learner.mean("sim/m", 0.9, complexity=0.8), 2)
0.45
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from powertools.router._catalog import quality_at

if TYPE_CHECKING:
    import random

__all__ = ["BANDS", "Learner", "LearningStore", "SessionLearningStore", "band"]

BANDS = 5
Evidence = dict[str, list[float]]  # "key|band" -> [successes, failures] (weighted)


def band(complexity: float) -> int:
    """The complexity band (0 to 4) of a task: fifths of [0, 1].

    >>> band(0.0), band(0.59), band(1.0)
    (0, 2, 4)
    """
    return min(max(int(complexity * BANDS), 0), BANDS - 1)


class LearningStore(Protocol):
    """Where a fleet's shared evidence lives; ``swap`` is a compare-and-swap."""

    async def load(self) -> tuple[Evidence, Any]:
        """The shared evidence and a token for the next :meth:`swap`."""
        ...

    async def swap(self, evidence: Evidence, expected: Any) -> Any:
        """Write ``evidence`` if the store is still at ``expected``; raise on conflict."""
        ...


class SessionLearningStore:
    """Shared evidence in a ``powertools-session`` store, one entry per router name."""

    def __init__(self, url: str, *, name: str = "default") -> None:
        try:
            from powertools.session._backend import open_backend
        except ImportError as exc:
            from powertools.router.errors import ConfigurationError

            raise ConfigurationError(
                "a learning store needs powertools-session: install 'powertools-router[session]'"
            ) from exc
        self._backend = open_backend(url)
        self.name = f"router-learning-{name}"

    async def load(self) -> tuple[Evidence, Any]:
        """The stored evidence and its version."""
        stored = await self._backend.aload(self.name)
        if stored is None or stored.snapshot is None:
            return {}, self._backend.initial_token
        import json

        data = json.loads(stored.snapshot)
        return {k: [float(v[0]), float(v[1])] for k, v in data.items()}, stored.token

    async def swap(self, evidence: Evidence, expected: Any) -> Any:
        """Replace the evidence at the next version, if nobody wrote since ``expected``."""
        version = int(expected or 0) + 1
        import json

        body = json.dumps(evidence, sort_keys=True).encode()
        return await self._backend.areplace(self.name, body, version, expected, None)

    async def aclose(self) -> None:
        """Close the backend's connections."""
        await self._backend.aclose()


def _plus(shared: Evidence, sent: dict[str, tuple[float, float]]) -> Evidence:
    merged = {k: list(v) for k, v in shared.items()}
    for key, (s, f) in sent.items():
        entry = merged.setdefault(key, [0.0, 0.0])
        entry[0] += s
        entry[1] += f
    return merged


def _is_conflict(exc: BaseException) -> bool:
    return type(exc).__name__ == "ConflictError"


class Learner:
    """Per-model, per-band quality posteriors, with bounded exploration and optional sharing."""

    def __init__(
        self,
        *,
        explore: float = 0.05,
        prior_strength: float = 10.0,
        store: LearningStore | None = None,
        rng: random.Random | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        if not 0.0 <= explore <= 1.0:
            from powertools.router.errors import ConfigurationError

            raise ConfigurationError(f"explore={explore!r} must be a share of routes in [0, 1]")
        self.explore = explore
        self.prior_strength = prior_strength
        self.store = store
        if rng is None:
            import random

            rng = random.Random(0)  # noqa: S311  (exploration, not security)
        self._rng = rng
        self._shared: Evidence = {}
        self._pending: Evidence = {}
        self._token: Any = None
        self._loaded = store is None
        self._lock = asyncio.Lock()
        self._on_error = on_error
        self.routes = 0
        self.explored = 0
        self.updates = 0

    def _counts(self, key: str) -> tuple[float, float]:
        shared = self._shared.get(key)
        pending = self._pending.get(key)
        s = (shared[0] if shared else 0.0) + (pending[0] if pending else 0.0)
        f = (shared[1] if shared else 0.0) + (pending[1] if pending else 0.0)
        return s, f

    def posterior(self, key: str, prior: float, complexity: float) -> tuple[float, float]:
        """``(alpha, beta)`` of the candidate ``key`` at ``complexity``."""
        q = quality_at(prior, complexity)
        s, f = self._counts(f"{key}|{band(complexity)}")
        n0 = self.prior_strength
        return max(q * n0, 1e-3) + s, max((1.0 - q) * n0, 1e-3) + f

    def knows(self, key: str, complexity: float) -> bool:
        """Whether any evidence exists for ``key`` in this complexity's band."""
        slot = f"{key}|{band(complexity)}"
        return slot in self._pending or slot in self._shared

    def mean(self, key: str, prior: float, *, complexity: float) -> float:
        """The posterior mean; the catalogue's prior (at this complexity) when nothing is known."""
        slot = f"{key}|{band(complexity)}"
        if slot not in self._shared and slot not in self._pending:
            return quality_at(prior, complexity)
        a, bb = self.posterior(key, prior, complexity)
        return round(a / (a + bb), 4)

    def spread(self, key: str, prior: float, *, complexity: float) -> float:
        """The posterior's standard deviation."""
        a, b = self.posterior(key, prior, complexity)
        n = a + b
        return math.sqrt(a * b / (n * n * (n + 1)))

    def sample(self, key: str, prior: float, *, complexity: float) -> float:
        """A Thompson draw from the posterior."""
        a, b = self.posterior(key, prior, complexity)
        return self._rng.betavariate(a, b)

    def should_explore(self) -> bool:
        """Whether this route explores: never more than ``explore`` of all routes so far."""
        self.routes += 1
        if self.explore <= 0.0 or self.explored + 1 > self.explore * self.routes:
            return False
        self.explored += 1
        return True

    def update(self, key: str, complexity: float, score: float, weight: float = 1.0) -> None:
        """Add one outcome: ``score`` in [0, 1] for ``key`` at ``complexity``, ``weight`` > 0."""
        if not 0.0 <= score <= 1.0 or not weight > 0:
            from powertools.router.errors import ConfigurationError

            raise ConfigurationError(
                f"score={score!r} must be in [0, 1] and weight={weight!r} positive"
            )
        entry = self._pending.setdefault(f"{key}|{band(complexity)}", [0.0, 0.0])
        entry[0] += score * weight
        entry[1] += (1.0 - score) * weight
        self.updates += 1

    @property
    def dirty(self) -> bool:
        """Whether some evidence is not in the store yet."""
        return bool(self._pending) and self.store is not None

    async def sync(self, *, attempts: int = 50) -> None:
        """Load the shared evidence and add this process's pending evidence to it (CAS).

        On a conflict (another process wrote first) it waits a few random milliseconds,
        reloads and adds its evidence again; evidence added while a write is in flight stays
        pending for the next one.
        """
        if self.store is None:
            return
        async with self._lock:
            for attempt in range(attempts):
                shared, token = await self.store.load()
                sent = {k: (v[0], v[1]) for k, v in self._pending.items()}
                merged = _plus(shared, sent)
                if not sent:
                    self._shared, self._token, self._loaded = merged, token, True
                    return
                try:
                    self._token = await self.store.swap(merged, token)
                except Exception as exc:
                    if not _is_conflict(exc):
                        raise
                    await asyncio.sleep(self._rng.random() * 0.002 * (attempt + 1))
                    continue
                self._shared, self._loaded = merged, True
                self._take(sent)
                return
            raise RuntimeError(
                f"the learning store kept conflicting ({attempts} attempts): too many writers "
                "for one store entry; give each group of routers its own name="
            )

    def _take(self, sent: dict[str, tuple[float, float]]) -> None:
        for key, (s, f) in sent.items():
            left = self._pending[key]
            left[0] -= s
            left[1] -= f
            if left[0] <= 1e-12 and left[1] <= 1e-12:
                del self._pending[key]

    def snapshot(self) -> Evidence:
        """All evidence this process knows (shared and pending), for ``stats()``."""
        keys = sorted(set(self._shared) | set(self._pending))
        return {k: list(self._counts(k)) for k in keys}

"""``LLMRouter.describe()``: what the router uses and why, in the style of ``powertools doctor``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from powertools.router._router import LLMRouter

__all__ = ["describe"]


def describe(router: LLMRouter) -> str:
    """The providers considered (used or skipped, and why), candidates, budget and options."""
    setup = router._setup
    if setup is None:
        return f"router {router.name!r}: not started yet (the first route() looks for providers)"
    lines = [f"router {router.name!r}" + (" -- SIMULATED MODELS ONLY" if setup.simulated else "")]
    lines += [f"  {note}" for note in setup.notes]
    lines.append(f"  candidates ({len(router.candidates)}):")
    for c in sorted(router.candidates, key=lambda c: (not c.local, c.key)):
        where = "local" if c.local else "cloud"
        lines.append(
            f"    {c.key:<36} {where}  quality {c.quality:.2f}  "
            f"${c.price.per_million('input'):f}/${c.price.per_million('output'):f} per M  "
            f"context {c.context_window:,}"
        )
    for skipped in router._skipped_models:
        lines.append(f"    skipped {skipped}")
    for provider, (reason, _) in sorted(router._blocked.items()):
        lines.append(f"  {provider}: unusable, {reason}")
    layers = router._layers
    lines.append(f"  {layers.budget.describe()}")
    limits = "on" if layers.limits.enabled else "off (install 'powertools-router[ratelimit]')"
    explore = f"{router.learner.explore:.0%} of routes" if router.learner.explore else "off"
    lines.append(
        f"  deadline {router.deadline:g} s, rate limits {limits}, exploration {explore}, "
        f"hedging {'on' if router.hedge else 'off'}, cache {'on' if router._cache else 'off'}, "
        f"telemetry {'on' if layers.telemetry.enabled else 'off'}"
    )
    return "\n".join(lines)

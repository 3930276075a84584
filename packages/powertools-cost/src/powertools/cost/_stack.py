"""How this component joins a powertools stack: its ``powertools.components`` entry point.

The meta-package (``ai-powertools``) reads these names; nothing in this package imports them.

>>> tracker = build({"budget_usd_per_month": "25", "ledger": "memory://"}, {})
>>> tracker.get_daily_report().remaining
Decimal('25')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from powertools.cost import CostTracker

NAME = "cost"
EXPORTS = {
    "CostTracker": "powertools.cost:CostTracker",
    "BudgetManager": "powertools.cost:BudgetManager",
}
COMMANDS = {
    "cost": (
        "powertools-cost's own commands (prices import/use/versions, report, export)",
        "powertools.cost.cli:main",
    ),
}
OPTIONS = {
    "budget_usd_per_month": ("decimal", None, "monthly hard limit in dollars; none: no limit"),
    "alert_threshold_usd": ("decimal", None, "spend at which the on_alert callback fires"),
    "ledger": (
        "str",
        "memory://",
        "where calls are recorded: memory://, sqlite:///path, postgresql://..., redis://...",
    ),
    "tz": ("str", "UTC", "the time zone of the budget's calendar month"),
}
AFTER: tuple[str, ...] = ()


def build(options: Mapping[str, Any], parts: Mapping[str, Any]) -> CostTracker:
    """The stack's cost tracker: one monthly budget over the configured ledger."""
    return CostTracker(
        budget_usd=options.get("budget_usd_per_month"),
        alert_threshold_usd=options.get("alert_threshold_usd"),
        ledger=options.get("ledger") or "memory://",
        tz=options.get("tz") or "UTC",
    )

"""The meta-package's own part of the stack, through the same ``powertools.components`` group.

It contributes the commands that span components; each says which component it needs when
that one is missing.

>>> sorted(COMMANDS)[:3]
['config', 'costs', 'demo']
"""

from __future__ import annotations

NAME = "stack"
EXPORTS = {
    "Stack": "powertools._stack:Stack",
    "StackConfigError": "powertools._config:StackConfigError",
}
OPTIONS = {
    "history_limit": ("int", 1000, "routed exchanges kept in the session's history (0: none)"),
}
COMMANDS = {
    "info": (
        "the installed components, their versions and what failed to load",
        "powertools._cmd_info:main",
    ),
    "demo": (
        "a few hundred tasks through the whole stack on simulated models, no keys needed",
        "powertools._demo:main",
    ),
    "doctor": (
        "local servers, keys and endpoints, and what LLMRouter() would use",
        "powertools._cmd_router:doctor",
    ),
    "route": ("route one prompt and explain the choice", "powertools._cmd_router:route"),
    "config": (
        "the stack's resolved configuration and where each value came from",
        "powertools._cmd_info:config",
    ),
    "costs": ("spending: report (also --html), forecast, export", "powertools._cmd_costs:costs"),
    "prices": ("the price database: show, update, lint", "powertools._cmd_costs:prices"),
    "sessions": (
        "sessions: list, show, backup, restore, cleanup, recover",
        "powertools._cmd_sessions:main",
    ),
    "logs": ("structured logs: query, tail, count, verify-audit", "powertools._cmd_logs:main"),
}

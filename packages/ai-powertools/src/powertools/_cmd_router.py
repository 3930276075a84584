"""``powertools doctor`` and ``powertools route "prompt"``.

``doctor`` checks the keys (it never prints one: only whether it is set and its length), the
endpoints, the local servers, and shows what ``LLMRouter()`` would use and why. ``route``
sends one prompt through the configured stack and prints the answer and ``explain()``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from rich.console import Console

from powertools._output import Output, command_parser, fail, parse_args

__all__ = ["doctor", "route"]

KEYS = {
    "openai": ("OPENAI_API_KEY",),
    "anthropic": ("ANTHROPIC_API_KEY",),
    "gemini": ("GEMINI_API_KEY", "GOOGLE_API_KEY"),
}
ENDPOINTS = (
    "OPENAI_BASE_URL",
    "ANTHROPIC_BASE_URL",
    "GEMINI_BASE_URL",
    "OLLAMA_HOST",
    "LLAMACPP_BASE_URL",
    "LLAMA_SERVER_URL",
)


def key_report(env: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Per cloud family: which variable holds its key and how long it is, never the key.

    >>> key_report({"OPENAI_API_KEY": "sk-secret-1234"})["openai"]
    {'variable': 'OPENAI_API_KEY', 'set': True, 'length': 14}
    """
    report: dict[str, dict[str, Any]] = {}
    for family, names in KEYS.items():
        found = next((n for n in names if env.get(n)), None)
        report[family] = {
            "variable": found or names[0],
            "set": found is not None,
            "length": len(env[found]) if found else 0,
        }
    return report


def _describe(router: Any) -> str:
    async def ready() -> str:
        # the router looks for its providers on the first route; the doctor wants that look
        # without a route (LLMRouter has no public name for it yet)
        prepare = getattr(router, "prepare", None) or router._ready
        await prepare()
        text: str = router.describe()
        await router.aclose()
        return text

    return asyncio.run(ready())


def doctor(argv: Sequence[str] | None = None, *, prog: str = "powertools doctor") -> int:
    """What the router would use here, the keys (masked) and endpoints; 1 when it cannot run."""
    parser = command_parser(prog, "Local servers, keys and endpoints; what LLMRouter() uses.")
    args = parse_args(parser, argv)
    if isinstance(args, int):
        return args
    keys = key_report(os.environ)
    endpoints = {name: os.environ[name] for name in ENDPOINTS if os.environ.get(name)}
    try:
        from powertools.router import LLMRouter

        described = _describe(LLMRouter())
    except Exception as exc:  # the doctor reports what is broken rather than crashing
        return fail(prog, f"LLMRouter() cannot start: {type(exc).__name__}: {exc}")
    out = Output(args.json)

    def render(console: Console) -> None:
        rows = [
            (family, k["variable"], f"set ({k['length']} chars)" if k["set"] else "not set")
            for family, k in keys.items()
        ]
        console.print(
            out.table("API keys (values never shown)", ("family", "variable", "status"), rows)
        )
        if endpoints:
            console.print(out.table("endpoints", ("variable", "value"), endpoints.items()))
        console.print(described, highlight=False)

    out.emit({"keys": keys, "endpoints": endpoints, "router": described}, render)
    return 0


def _route_parser(prog: str) -> argparse.ArgumentParser:
    parser = command_parser(prog, "Route one prompt through the stack and explain the choice.")
    parser.add_argument("prompt", help="the task")
    parser.add_argument("--complexity", type=float, help="0 (trivial) to 1 (hardest)")
    parser.add_argument("--required-quality", type=float, help="the least quality, 0 to 1")
    parser.add_argument("--max-latency-ms", type=float)
    parser.add_argument("--max-cost-usd", type=Decimal)
    parser.add_argument("--max-tokens", type=int)
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--system", help="a system prompt")
    parser.add_argument("--user", help="who asked (for budgets and reports)")
    parser.add_argument("--tag", action="append", default=[], dest="tags")
    parser.add_argument("--priority", default="normal", choices=("low", "normal", "high"))
    parser.add_argument("--config", help="a powertools.toml (default: the usual search)")
    return parser


_ROUTE_OPTIONS = (
    "complexity",
    "required_quality",
    "max_latency_ms",
    "max_cost_usd",
    "max_tokens",
    "temperature",
    "system",
)


def route(argv: Sequence[str] | None = None, *, prog: str = "powertools route") -> int:
    """Route the prompt; 0 answered, 1 failed (every attempt said), 2 bad input."""
    from powertools._config import StackConfigError
    from powertools._stack import Stack

    args = parse_args(_route_parser(prog), argv)
    if isinstance(args, int):
        return args
    options = {k: getattr(args, k) for k in _ROUTE_OPTIONS if getattr(args, k) is not None}
    if args.tags:
        options["tags"] = args.tags
    try:
        stack = Stack.from_config(args.config)
    except StackConfigError as exc:
        return fail(prog, str(exc), 2)
    try:
        result = stack.route_sync(args.prompt, user=args.user, priority=args.priority, **options)
    except Exception as exc:  # a routing failure is reported in one line, with every attempt
        return fail(prog, f"{type(exc).__name__}: {exc}")
    finally:
        stack.close()
    explained = result.decision.explain()
    data = {
        "text": result.text,
        "provider": result.provider,
        "model": result.model,
        "cost": result.cost,
        "latency_ms": result.latency_ms,
        "attempts": [
            {"provider": a.provider, "model": a.model, "outcome": a.outcome, "reason": a.reason}
            for a in result.attempts
        ],
        "explain": explained,
    }
    out = Output(args.json)

    def render(console: Console) -> None:
        console.print(result.text, highlight=False)
        console.print(
            f"\n[bold]{result.provider}/{result.model}[/bold]  ${result.cost}  "
            f"{result.latency_ms:.0f} ms  {len(result.attempts)} attempt(s)"
        )
        console.print(explained, highlight=False)

    out.emit(data, render)
    return 0

"""Stack's own logic with a stand-in router: optional parts, history trimming, build order."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from powertools._components import GROUP, ComponentInfo, Discovery, discover
from powertools._config import StackConfig, StackConfigError
from powertools._stack import Stack
from powertools.session import Session


@dataclass
class Answer:
    text: str = "ok"
    provider: str = "fake"
    model: str = "fake-1"
    cost: Decimal = Decimal(0)
    usage: Any = None


@dataclass
class FakeRouter:
    calls: list[dict[str, Any]] = field(default_factory=list)
    fail: bool = False
    closed: bool = False

    async def route(self, **kwargs: Any) -> Answer:
        self.calls.append(kwargs)
        if self.fail:
            raise RuntimeError("no model answered")
        return Answer()

    def close(self) -> None:
        self.closed = True


def test_a_stack_of_only_a_router_still_routes() -> None:
    router = FakeRouter()
    stack = Stack({"router": router})
    assert stack.route_sync("hi", user="ada", priority="high", max_tokens=5).text == "ok"
    assert router.calls == [{"task": "hi", "user": "ada", "priority": "high", "max_tokens": 5}]
    assert stack.stats.routes == 1
    stack.close()
    assert router.closed


def test_a_failed_route_is_counted_and_raised() -> None:
    stack = Stack({"router": FakeRouter(fail=True)})
    with pytest.raises(RuntimeError, match="no model answered"):
        stack.route_sync("hi")
    assert stack.stats.errors_by_type == {"RuntimeError": 1}


def test_the_session_history_is_trimmed_to_its_limit() -> None:
    session = Session("trim", store="memory://stack-trim")
    config = StackConfig(options={"stack": {"history_limit": 3}})
    stack = Stack({"router": FakeRouter(), "session": session}, config=config)

    async def many() -> None:
        for i in range(10):
            await stack.route(f"task {i}")

    asyncio.run(many())
    history = session.get("history")
    assert 3 <= len(history) < 6
    assert history[-1]["task"] == "task 9"


def test_history_off_keeps_nothing() -> None:
    session = Session("off", store="memory://stack-off")
    config = StackConfig(options={"stack": {"history_limit": 0}})
    Stack({"router": FakeRouter(), "session": session}, config=config).route_sync("x")
    assert session.get("history") is None


def _info(name: str, after: tuple[str, ...] = (), build: Any = None) -> ComponentInfo:
    return ComponentInfo(name, "dist", "0", {}, (), {}, after, build)


def test_components_that_depend_on_each_other_in_a_cycle_are_refused() -> None:
    found = Discovery(components={"a": _info("a", ("b",)), "b": _info("b", ("a",))})
    with pytest.raises(StackConfigError, match="cycle"):
        Stack.from_config(env={}, cwd=None, discovery=found)


def test_a_component_without_a_build_hook_adds_no_part() -> None:
    found = Discovery(components={"names-only": _info("names-only")})
    assert Stack.from_config(env={}, cwd=None, discovery=found).parts == {}


def test_a_build_hook_s_config_error_passes_through_unchanged() -> None:
    def build(options: Any, parts: Any) -> Any:
        raise StackConfigError("mine: [x] is wrong", key="x.y")

    found = Discovery(components={"x": _info("x", build=build)})
    with pytest.raises(StackConfigError, match="mine") as info:
        Stack.from_config(env={}, cwd=None, discovery=found)
    assert info.value.key == "x.y"


def test_the_retry_part_makes_one_breaker_per_name() -> None:
    stack = Stack.from_config(
        overrides={"logging": {"sinks": ["console"]}, "session": {"store": "memory://retry-part"}},
        env={},
        cwd=None,
    )
    assert stack.retry.breaker("a/b") is stack.retry.breaker("a/b")
    assert stack.retry.breaker("a/b") is not stack.retry.breaker("a/c")
    assert tuple(stack.ratelimit.limits) == ()
    stack.close()


def test_discovery_of_given_entries_skips_nothing(tmp_path: Path) -> None:
    entries = tuple(metadata.entry_points(group=GROUP))
    assert set(discover(entries).components) == set(discover().components)

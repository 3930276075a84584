"""Every optional module says which extra to install when its dependency is missing."""

from __future__ import annotations

import importlib
import sys
import warnings

import pytest

from powertools.cost import MissingExtraError, count_tokens, open_ledger
from powertools.cost.errors import CostError, TokenizerUnavailableWarning


def _absent(monkeypatch: pytest.MonkeyPatch, dependency: str, module: str) -> None:
    """Make ``dependency`` unimportable and ``module`` imported afresh."""
    for name in [n for n in sys.modules if n == dependency or n.startswith(f"{dependency}.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, dependency, None)
    monkeypatch.delitem(sys.modules, module, raising=False)


@pytest.mark.parametrize(
    ("module", "dependency", "extra", "thing"),
    [
        ("powertools.cost.capture", "httpx", "httpx", "powertools.cost.capture"),
        ("powertools.cost.provider_count", "httpx", "httpx", "powertools.cost.provider_count"),
        ("powertools.cost.backends.redis", "redis", "redis", "the Redis ledger"),
        ("powertools.cost.backends.postgres", "asyncpg", "postgres", "the PostgreSQL ledger"),
    ],
)
def test_an_optional_module_without_its_dependency_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, module: str, dependency: str, extra: str, thing: str
) -> None:
    _absent(monkeypatch, dependency, module)
    with pytest.raises(MissingExtraError) as info:
        importlib.import_module(module)
    error = info.value
    assert error.extra == extra
    assert isinstance(error, CostError)
    assert isinstance(error, ImportError)
    assert str(error).startswith(thing)
    assert str(error).endswith(
        f"needs an optional dependency: pip install 'powertools-cost[{extra}]'"
    )
    assert "\n" not in str(error)


@pytest.mark.parametrize(
    ("url", "dependency", "module", "extra"),
    [
        ("redis://127.0.0.1:6379/6", "redis", "powertools.cost.backends.redis", "redis"),
        ("rediss+cluster://h:7000", "redis", "powertools.cost.backends.redis", "redis"),
        ("postgresql://127.0.0.1/test", "asyncpg", "powertools.cost.backends.postgres", "postgres"),
    ],
)
def test_opening_a_ledger_without_its_driver_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, url: str, dependency: str, module: str, extra: str
) -> None:
    _absent(monkeypatch, dependency, module)
    with pytest.raises(MissingExtraError, match=rf"pip install 'powertools-cost\[{extra}\]'$"):
        open_ledger(url)


def test_token_counting_without_tiktoken_says_what_to_install_and_estimates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from powertools.cost import _tokens

    _absent(monkeypatch, "tiktoken", "powertools.cost._no_such_module")
    monkeypatch.setattr(_tokens, "_cache", {})
    monkeypatch.setattr(_tokens, "_warned", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        counted = count_tokens("hello there, how are you today?", "gpt-4o")
    assert not counted.exact
    messages = [str(w.message) for w in caught if w.category is TokenizerUnavailableWarning]
    assert len(messages) == 1
    assert "pip install 'powertools-cost'" in messages[0]

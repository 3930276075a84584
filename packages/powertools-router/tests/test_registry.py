"""Providers found by entry point: an unknown name lists the known ones, a broken one says why."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from powertools.router import RouterError, UnknownProviderError
from powertools.router.providers import _registry
from powertools.router.providers._registry import GROUP, available_providers, load_provider


def test_every_bundled_family_is_registered() -> None:
    assert {"anthropic", "gemini", "llamacpp", "ollama", "openai", "simulated"} <= set(
        available_providers()
    )
    assert available_providers() == sorted(available_providers())


def test_an_unknown_name_lists_the_known_ones_and_how_to_register() -> None:
    with pytest.raises(UnknownProviderError) as caught:
        load_provider("mistral")
    message = str(caught.value)
    assert "no provider named 'mistral' is registered (known: anthropic, " in message
    assert f"the entry-point group {GROUP!r}" in message


def test_nothing_registered_says_none(monkeypatch) -> None:
    monkeypatch.setattr(_registry, "_entry_points", dict)
    with pytest.raises(UnknownProviderError, match=r"\(known: none\)"):
        load_provider("openai")


def test_a_family_that_fails_to_import_is_named_with_its_cause(monkeypatch) -> None:
    broken = EntryPoint("broken", "powertools_no_such_module:Provider", GROUP)
    entries = {**_registry._entry_points(), "broken": broken}
    monkeypatch.setattr(_registry, "_entry_points", lambda: entries)
    with pytest.raises(RouterError) as caught:
        load_provider("broken")
    assert str(caught.value).startswith(
        "provider 'broken' (powertools_no_such_module:Provider) failed to load: No module named"
    )
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)
    assert load_provider("simulated", latency_scale=0).name == "simulated"

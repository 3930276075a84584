"""The module ``powertools.retry`` is callable, as it shadows the function ``retry`` (0100)."""

from __future__ import annotations

import importlib
import types

import powertools.retry as module
from powertools.retry import retry
from powertools.retry.testing import set_testing


def test_from_import_gives_the_function() -> None:
    assert isinstance(retry, types.FunctionType)
    assert retry is importlib.import_module("powertools.retry").retry


def test_the_module_called_with_options_decorates() -> None:
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 2:
            raise ConnectionError
        return "ok"

    with set_testing(True):
        assert module(max_attempts=2)(flaky)() == "ok"
    assert len(calls) == 2


def test_the_module_works_as_a_bare_decorator() -> None:
    @module
    def answer() -> int:
        return 42

    assert answer() == 42
    assert answer.__name__ == "answer"


def test_the_namespace_attribute_is_callable_too() -> None:
    import powertools

    bound = powertools.retry
    assert callable(bound)

    @bound(max_attempts=1)
    def one() -> int:
        return 1

    assert one() == 1

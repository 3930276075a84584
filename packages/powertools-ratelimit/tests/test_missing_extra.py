"""Without the ``[redis]`` extra, the Redis store says which extra to install (issue 19)."""

from __future__ import annotations

import importlib
import sys

import pytest

from powertools.ratelimit import ConfigurationError, MissingExtraError, open_store


@pytest.fixture
def no_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(sys.modules):
        if name == "redis" or name.startswith("redis."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.delitem(sys.modules, "powertools.ratelimit.backends.redis", raising=False)


@pytest.mark.usefixtures("no_redis")
def test_importing_the_redis_backend_names_the_extra() -> None:
    with pytest.raises(MissingExtraError) as caught:
        importlib.import_module("powertools.ratelimit.backends.redis")
    assert caught.value.extra == "redis"
    assert str(caught.value) == (
        "the Redis rate-limit store needs an optional dependency: "
        "pip install 'powertools-ratelimit[redis]'"
    )
    assert isinstance(caught.value, ImportError)


@pytest.mark.usefixtures("no_redis")
@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/7", "rediss+cluster://h:7000"])
def test_a_redis_url_names_the_extra(url: str) -> None:
    with pytest.raises(MissingExtraError, match=r"pip install 'powertools-ratelimit\[redis\]'"):
        open_store(url)


def test_an_unknown_scheme_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="no rate-limit store"):
        open_store("nope://x")


def test_a_store_whose_module_cannot_be_imported_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.metadata

    from powertools.ratelimit._store import ENTRY_POINT_GROUP

    broken = importlib.metadata.EntryPoint(
        name="rediss", value="powertools_no_such_module:factory", group=ENTRY_POINT_GROUP
    )  # an installed entry point whose module (or one it imports) is missing
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [broken])
    with pytest.raises(MissingExtraError, match=r"rediss://.*\[redis\]") as caught:
        open_store("rediss://h:6380/0")
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)

"""The cross-package conventions (issue 19 items 1-3): Redis URL forms, missing extra, clock."""

from __future__ import annotations

import asyncio
import importlib
import re
import sys

import pytest

from powertools.retry import MissingExtraError, RetryConfigError
from powertools.retry.testing import FakeClock
from powertools_testkit import check_fake_clock


def test_fake_clock_has_the_shared_shape() -> None:
    check_fake_clock(FakeClock)


def test_asleep_yields_to_the_loop_once() -> None:
    async def main() -> list[str]:
        clock, seen = FakeClock(), []

        async def other() -> None:
            seen.append("other ran")

        task = asyncio.create_task(other())
        await clock.asleep(1.0)  # the other task runs during this await
        seen.append(f"now={clock.now}")
        await task
        return seen

    assert asyncio.run(main()) == ["other ran", "now=1.0"]


def test_missing_redis_extra_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(sys.modules):
        if name == "redis" or name.startswith("redis."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "redis", None)
    monkeypatch.delitem(sys.modules, "powertools.retry.backends.redis", raising=False)
    with pytest.raises(MissingExtraError) as caught:
        importlib.import_module("powertools.retry.backends.redis")
    assert caught.value.extra == "redis"
    assert str(caught.value) == (
        "the Redis breaker storage needs an optional dependency: "
        "pip install 'powertools-retry[redis]'"
    )


@pytest.mark.parametrize(
    ("url", "cluster", "client_class"),
    [
        ("redis://127.0.0.1:6379/8", False, "Redis"),
        ("rediss://127.0.0.1:6380/8", False, "Redis"),
        ("redis+cluster://127.0.0.1:7000", True, "RedisCluster"),
        ("rediss+cluster://127.0.0.1:7000", True, "RedisCluster"),
    ],
)
def test_each_url_form(
    url: str, cluster: bool, client_class: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("redis")
    from redis import Redis
    from redis.cluster import RedisCluster

    from powertools.retry.backends.redis import RedisStorage

    storage = RedisStorage(url)
    assert storage.cluster is cluster
    built: list[tuple[str, str]] = []
    for cls in (Redis, RedisCluster):  # no cluster runs here: record the class and URL used
        monkeypatch.setattr(
            cls, "from_url", classmethod(lambda c, u, **kw: built.append((c.__name__, u)))
        )
    storage.client()
    scheme = "rediss" if url.startswith("rediss") else "redis"
    assert built == [(client_class, re.sub(r"^[a-z+]+", scheme, url))]


def test_a_ready_cluster_client_is_detected_by_type() -> None:
    pytest.importorskip("redis")
    from redis import Redis
    from redis.cluster import RedisCluster

    from powertools.retry.backends.redis import RedisStorage

    fake_cluster = RedisCluster.__new__(RedisCluster)  # not connected: only its type matters
    assert RedisStorage(client=fake_cluster).cluster is True
    assert RedisStorage(client=Redis()).cluster is False


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"url": "redis://h:7000/0", "cluster": True}, "write redis+cluster://h:7000/0 instead"),
        ({"url": "rediss://h:7000?cluster=true"}, "write rediss+cluster://h:7000 instead"),
        ({"url": "memcached://h:1"}, "redis+cluster://"),
    ],
)
def test_old_cluster_spellings_name_the_url_to_write(kwargs: dict, expected: str) -> None:  # type: ignore[type-arg]
    pytest.importorskip("redis")
    from powertools.retry.backends.redis import RedisStorage

    with pytest.raises(RetryConfigError, match=re.escape(expected)):
        RedisStorage(**kwargs)

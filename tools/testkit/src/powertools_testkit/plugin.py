"""The pytest plugin (entry point ``pytest11``): service fixtures and test-run configuration.

Fixtures, each backed by a real service:

``redis_url``           a logical database of Redis on 127.0.0.1:6379, flushed before each test
``redis_cluster_url``   a 3-node Redis Cluster started for the session, flushed before each test
``postgres_dsn``        a fresh PostgreSQL database for the session, dropped after
``aws``                 moto's server (S3, CloudWatch Logs, ...) with the AWS env vars set
``s3``                  a fresh bucket on moto's S3
``gcs``                 a fresh bucket on fake-gcs-server, ``STORAGE_EMULATOR_HOST`` set
``nats_url``            NATS with JetStream on 127.0.0.1:4222
``kafka_bootstrap``     the Tansu Kafka-wire broker, memory-only, for the session
``llama_server``        llama.cpp's server on the shared test model, for the session
``tiktoken_cache``      the offline tiktoken encodings (``TIKTOKEN_CACHE_DIR``)
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from powertools_testkit import _cloud, _llama, _postgres, _redis, _streams
from powertools_testkit._require import in_ci, unavailable
from powertools_testkit._shared import configure_tiktoken

settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    print_blob=True,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=50, deadline=None)


SERVICE_FIXTURES = (
    "redis_url",
    "redis_cluster_url",
    "postgres_dsn",
    "aws",
    "s3",
    "gcs",
    "nats_url",
    "kafka_bootstrap",
    "llama_server",
    "tiktoken_cache",
)
_passed_with: Counter[str] = Counter()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """Count, per service fixture, the tests that used it and passed."""
    result = yield
    for name in getattr(item, "fixturenames", ()):
        if name in SERVICE_FIXTURES:
            _passed_with[name] += 1
    return result


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Show which real services the run exercised, so a skipped service cannot go unnoticed."""
    if not _passed_with:
        return
    used = ", ".join(
        f"{name} {_passed_with[name]}" for name in SERVICE_FIXTURES if _passed_with[name]
    )
    unused = [name for name in SERVICE_FIXTURES if not _passed_with[name]]
    terminalreporter.write_line(f"real services exercised (tests passed): {used}")
    if unused:
        terminalreporter.write_line(f"real services not exercised: {', '.join(unused)}")


def pytest_configure(config: pytest.Config) -> None:
    """Choose the hypothesis profile and make token counting work offline."""
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if in_ci() else "dev"))
    configure_tiktoken(Path(str(config.rootpath)))


@pytest.fixture(scope="session")
def tiktoken_cache(pytestconfig: pytest.Config) -> Path:
    """The folder tiktoken loads its encodings from; skips (fails in CI) if there is none."""
    found = configure_tiktoken(Path(str(pytestconfig.rootpath)))
    if found is None or not found.exists():
        unavailable(
            "tiktoken's encoding files", "set TIKTOKEN_CACHE_DIR or provide ../shared/tiktoken"
        )
    return found


@pytest.fixture(scope="session")
def _redis_database() -> Iterator[str]:
    yield from _redis.claim_redis_database()


@pytest.fixture
def redis_url(_redis_database: str) -> str:
    """``redis://127.0.0.1:6379/N``: this session's own logical database, empty at test start."""
    import redis

    with redis.Redis.from_url(_redis_database) as client:
        client.flushdb()
    return _redis_database


@pytest.fixture(scope="session")
def _redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_redis.RedisCluster]:
    yield from _redis.start_redis_cluster(tmp_path_factory.mktemp("redis-cluster"))


@pytest.fixture
def redis_cluster_url(_redis_cluster: _redis.RedisCluster) -> str:
    """A node of a real 3-master Redis Cluster; every node is empty at test start."""
    _redis_cluster.flush()
    return _redis_cluster.url


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """A DSN of a database created for this test session and dropped after it."""
    yield from _postgres.fresh_postgres_database()


@pytest.fixture(scope="session")
def _moto() -> Iterator[_cloud.AwsEndpoint]:
    yield from _cloud.moto_server()


@pytest.fixture
def aws(_moto: _cloud.AwsEndpoint, monkeypatch: pytest.MonkeyPatch) -> _cloud.AwsEndpoint:
    """moto's server; boto3 clients made in the test reach it through ``AWS_ENDPOINT_URL``."""
    _cloud.aws_environment(monkeypatch, _moto)
    return _moto


@pytest.fixture
def s3(aws: _cloud.AwsEndpoint) -> _cloud.S3Bucket:
    """A fresh S3 bucket on moto's server."""
    return _cloud.new_s3_bucket(aws)


@pytest.fixture(scope="session")
def _gcs_server() -> Iterator[str]:
    yield from _cloud.gcs_server()


@pytest.fixture
def gcs(_gcs_server: str, monkeypatch: pytest.MonkeyPatch) -> _cloud.GcsBucket:
    """A fresh bucket on fake-gcs-server, with ``STORAGE_EMULATOR_HOST`` pointing at it."""
    return _cloud.new_gcs_bucket(monkeypatch, _gcs_server)


@pytest.fixture(scope="session")
def nats_url() -> str:
    """``nats://127.0.0.1:4222``, checked to have JetStream."""
    return _streams.check_nats()


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``127.0.0.1:PORT`` of a memory-only Tansu broker started for this session."""
    yield from _streams.tansu_broker(tmp_path_factory.mktemp("tansu"))


@pytest.fixture(scope="session")
def llama_server(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Base URL of a real ``llama-server`` serving the shared stories260K model."""
    yield from _llama.llama_server_process(
        Path(str(pytestconfig.rootpath)), tmp_path_factory.mktemp("llama")
    )

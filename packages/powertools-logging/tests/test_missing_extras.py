"""Every optional sink, without its dependency, raises one MissingExtraError naming the extra.

Absence is simulated with ``sys.modules[<dependency>] = None``, which makes ``import`` fail as it
does when the package is not installed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest

from powertools.logging import MissingExtraError


def _postgres() -> object:
    from powertools.logging.sinks.postgres import PostgresSink

    return PostgresSink("postgresql://127.0.0.1/test")


def _cloudwatch() -> object:
    from powertools.logging.sinks.cloudwatch import CloudWatchSink

    return CloudWatchSink("group")


def _cloudwatch_url() -> object:
    from powertools.logging.sinks.cloudwatch import CloudWatchSink

    return CloudWatchSink.from_url("cloudwatch://group?region=eu-west-1")


def _datadog() -> object:
    from powertools.logging.sinks.datadog import DatadogSink

    return DatadogSink(api_key="not-a-key")


def _nats() -> object:
    from powertools.logging.sinks.nats import NatsSink

    return NatsSink()


def _kafka() -> object:
    from powertools.logging.sinks.kafka import KafkaSink

    return KafkaSink.from_url("kafka://127.0.0.1:9092?topic=logs")


def _pubsub() -> object:
    from powertools.logging.sinks.pubsub import PubSubSink

    return PubSubSink("projects/p/topics/t")


def _audit_signing() -> object:
    from powertools.logging import _audit_keys

    return _audit_keys._ed25519()


CASES: list[tuple[str, Callable[[], object], str, str]] = [
    ("postgres", _postgres, "asyncpg", "postgres"),
    ("cloudwatch", _cloudwatch, "boto3", "cloudwatch"),
    ("cloudwatch-url", _cloudwatch_url, "boto3", "cloudwatch"),
    ("datadog", _datadog, "httpx", "datadog"),
    ("nats", _nats, "nats", "nats"),
    ("kafka", _kafka, "aiokafka", "kafka"),
    ("pubsub", _pubsub, "httpx", "pubsub"),
    ("audit", _audit_signing, "cryptography.hazmat.primitives.asymmetric", "audit"),
]


@pytest.mark.parametrize(
    ("build", "dependency", "extra"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_an_optional_sink_without_its_dependency_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, build: Callable[[], object], dependency: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, dependency, None)
    with pytest.raises(MissingExtraError) as caught:
        build()
    assert caught.value.extra == extra
    message = str(caught.value)
    assert message.endswith(
        f"needs an optional dependency: pip install 'powertools-logging[{extra}]'"
    )
    assert "\n" not in message
    assert isinstance(caught.value, ImportError)  # `except ImportError` still catches it
    assert caught.value.__cause__ is None  # one line: the ModuleNotFoundError is not chained

"""Sink URLs: the scheme must match, and yes/no options say which spellings they take."""

from __future__ import annotations

import pytest

from powertools.logging import ConfigurationError
from powertools.logging._registry import resolve_sink
from powertools.logging._urls import SinkUrl
from powertools.logging.sinks.datadog import DatadogSink
from powertools.logging.sinks.kafka import KafkaSink


def test_a_url_of_another_scheme_is_refused_naming_the_one_expected() -> None:
    with pytest.raises(ConfigurationError, match=r"'nats://127.0.0.1:4222' is not a kafka:// URL"):
        KafkaSink.from_url("nats://127.0.0.1:4222")


@pytest.mark.parametrize(
    ("spelling", "tls"),
    [("1", True), ("true", True), ("YES", True), ("0", False), ("False", False), ("no", False)],
)
def test_a_yes_no_option_takes_the_usual_spellings(
    spelling: str, tls: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DD_API_KEY", "k")
    sink = resolve_sink(f"datadog://127.0.0.1:9/api/v2/logs?tls={spelling}")
    try:
        assert isinstance(sink, DatadogSink)
        assert sink.url == ("https" if tls else "http") + "://127.0.0.1:9/api/v2/logs"
    finally:
        sink.close()


def test_a_yes_no_option_with_another_value_says_what_to_use() -> None:
    url = SinkUrl("datadog://?tls=maybe", "datadog", {"tls"})
    with pytest.raises(ConfigurationError, match=r"option tls='maybe': use true or false"):
        url.flag("tls", True)
    assert SinkUrl("datadog://", "datadog", {"tls"}).flag("tls", True) is True

from __future__ import annotations

import base64
import gzip
import json

import pytest

from powertools.logging import ConfigurationError, StructuredLogger
from powertools.logging.sinks.datadog import DatadogSink
from powertools.logging.sinks.pubsub import PubSubSink


def test_datadog_requests_are_gzip_json_with_the_key_header(http_server) -> None:
    url, recorded = http_server
    sink = DatadogSink(
        api_key="dd-secret-key", url=f"{url}/api/v2/logs", service="svc", tags="env:test"
    )
    log = StructuredLogger("dd", sinks=[sink])
    for n in range(2500):
        log.info("llm_call", n=n)
    sink.flush()
    assert sink.stats.sent == 2500
    assert sink.stats.failed == 0
    entries = []
    for path, headers, body in recorded.requests:
        assert path == "/api/v2/logs"
        assert headers["DD-API-KEY"] == "dd-secret-key"
        assert headers["Content-Encoding"] == "gzip"
        batch = json.loads(gzip.decompress(body))
        assert len(batch) <= 1000
        entries += batch
    assert len(recorded.requests) >= 3
    assert [json.loads(e["message"])["n"] for e in entries] == list(range(2500))
    assert entries[0]["service"] == "svc"
    assert entries[0]["status"] == "info"
    assert "dd-secret-key" not in repr(sink)
    sink.close()


def test_datadog_errors_are_counted(http_server, capsys: pytest.CaptureFixture[str]) -> None:
    url, recorded = http_server
    recorded.status = 403
    sink = DatadogSink(api_key="k", url=url)
    StructuredLogger("dd", sinks=[sink]).info("x")
    sink.flush()
    assert sink.stats.failed == 1
    assert "403" in (sink.stats.last_error or "")
    sink.close()


def test_datadog_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DD_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="DD_API_KEY"):
        DatadogSink()


def test_pubsub_publish_requests(http_server, monkeypatch: pytest.MonkeyPatch) -> None:
    url, recorded = http_server
    recorded.status = 200
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", url.removeprefix("http://"))
    sink = PubSubSink("projects/p1/topics/logs", access_token="tok")
    log = StructuredLogger("ps", sinks=[sink])
    for n in range(1500):
        log.info("evt", n=n)
    sink.close()
    messages = []
    for path, headers, body in recorded.requests:
        assert path == "/v1/projects/p1/topics/logs:publish"
        assert headers["Authorization"] == "Bearer tok"
        payload = json.loads(body)
        assert len(payload["messages"]) <= 1000
        messages += payload["messages"]
    assert len(messages) == 1500
    first = json.loads(base64.b64decode(messages[0]["data"]))
    assert first["n"] == 0
    assert messages[0]["attributes"] == {"event": "evt", "level": "info", "logger": "ps"}


def test_pubsub_topic_is_validated() -> None:
    with pytest.raises(ConfigurationError, match="projects/<project>/topics/<topic>"):
        PubSubSink("logs")

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
    assert len(recorded.requests) == 1  # a refused key is not retried
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


def test_pubsub_errors_are_counted(http_server) -> None:
    url, recorded = http_server
    recorded.status = 500
    sink = PubSubSink("projects/p/topics/t", endpoint=url)
    StructuredLogger("ps", sinks=[sink]).info("x")
    sink.flush()
    assert sink.stats.failed == 1
    assert "500" in (sink.stats.last_error or "")
    assert len(recorded.requests) == 3  # a server error is retried twice
    assert repr(sink).startswith("PubSubSink(url=")
    sink.close()


class FakeLogsClient:
    """Stands in for boto3's logs client where moto is not needed (rejections, no create)."""

    class exceptions:
        ResourceAlreadyExistsException = KeyError

    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []

    def put_log_events(self, **kwargs: object) -> dict[str, object]:
        self.calls.append(kwargs)
        return {"rejectedLogEventsInfo": {"tooOldLogEventEndIndex": 1}}


def test_cloudwatch_rejections_are_failures(capsys: pytest.CaptureFixture[str]) -> None:
    from powertools.logging.sinks.cloudwatch import CloudWatchSink

    client = FakeLogsClient()
    sink = CloudWatchSink("g", "s", client=client, create=False)
    StructuredLogger("cw", sinks=[sink]).info("old")
    sink.close()
    assert sink.stats.failed == 1
    assert "rejected" in (sink.stats.last_error or "")
    assert client.calls[0]["logGroupName"] == "g"


def test_postgres_table_name_is_validated() -> None:
    from powertools.logging.sinks.postgres import PostgresSink

    with pytest.raises(ConfigurationError, match="table name"):
        PostgresSink("postgresql://x", table="logs; drop table users")


def test_human_console_colours_by_level() -> None:
    import io

    from powertools.logging.sinks.console import ConsoleSink, render_human

    stream = io.StringIO()
    StructuredLogger("c", sinks=[ConsoleSink(stream, human=True)]).error("bad", code=7)
    assert "ERROR" in stream.getvalue()
    from powertools.logging import LogRecord

    line = '{"time":"1970-01-01T00:00:00.000000Z","level":"error","event":"bad","code":7}'
    coloured = render_human(LogRecord(0.0, 40, "bad", "c", line), colour=True)
    assert "\x1b[31m" in coloured
    assert "code=7" in coloured


EXIT_CHILD = """
import sys
from powertools.logging import StructuredLogger
from powertools.logging.sinks.datadog import DatadogSink

log = StructuredLogger("exit", sinks=[DatadogSink(api_key="k", url=sys.argv[1])])
for n in range(3000):
    log.info("queued", n=n)
# no flush, no close: the normal shutdown must deliver everything
"""


def test_network_sink_delivers_everything_at_normal_exit(http_server) -> None:
    import subprocess
    import sys

    url, recorded = http_server
    subprocess.run([sys.executable, "-c", EXIT_CHILD, url], check=True, timeout=60)
    delivered = [
        json.loads(e["message"])["n"]
        for *_, body in recorded.requests
        for e in json.loads(gzip.decompress(body))
    ]
    assert sorted(delivered) == list(range(3000))

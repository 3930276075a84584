"""Sinks against real services: PostgreSQL, NATS JetStream, Kafka (Tansu), CloudWatch (moto)."""

from __future__ import annotations

import asyncio
import json
import secrets

import pytest

from powertools.logging import SinkError, StructuredLogger
from powertools.logging.sinks.cloudwatch import CloudWatchSink
from powertools.logging.sinks.kafka import KafkaSink
from powertools.logging.sinks.nats import NatsSink
from powertools.logging.sinks.postgres import PostgresSink
from powertools_testkit import free_port

pytestmark = pytest.mark.integration


def test_postgres_sink_stores_and_queries(postgres_dsn: str) -> None:
    table = f"logs_{secrets.token_hex(4)}"
    sink = PostgresSink(postgres_dsn, table=table, max_batch=50)
    times = iter(float(1_767_225_600 + n * 60) for n in range(1000))
    log = StructuredLogger("pg", sinks=[sink], clock=lambda: next(times))
    for n in range(300):
        log.info("llm_call", model="gpt-4" if n % 2 else "claude", n=n, usage={"tokens": n})
    log.error("failed", n=300)
    found = log.query(event_type="llm_call", filters={"model": "gpt-4"}, limit=1000)
    assert [e["n"] for e in found] == list(range(1, 300, 2))
    assert log.query(filters={"usage.tokens": 42})[0]["n"] == 42
    assert [e.event for e in log.query(level="error")] == ["failed"]
    window = log.query(start_time=1_767_225_600 + 60 * 10, end_time=1_767_225_600 + 60 * 20)
    assert [e["n"] for e in window] == list(range(10, 20))
    assert [e["n"] for e in log.query(event_type="llm_call", limit=3)] == [297, 298, 299]
    assert "dsn" in repr(sink)
    assert postgres_dsn not in repr(sink)
    sink.close()
    assert sink.stats.sent == 301


def test_postgres_sink_loses_nothing_on_close(postgres_dsn: str) -> None:
    import asyncpg

    table = f"logs_{secrets.token_hex(4)}"
    sink = PostgresSink(postgres_dsn, table=table)
    log = StructuredLogger("pg", sinks=[sink])
    for n in range(2000):
        log.info("e", n=n)
    sink.close()

    async def count() -> int:
        conn = await asyncpg.connect(postgres_dsn)
        try:
            return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
        finally:
            await conn.close()

    assert asyncio.run(count()) == 2000


def test_nats_sink_publishes_acknowledged_events(nats_url: str) -> None:
    import nats

    subject = f"pt.logs.{secrets.token_hex(4)}"
    stream = f"PT_{secrets.token_hex(4)}"
    sink = NatsSink(nats_url, subject=subject, stream=stream)
    log = StructuredLogger("nats", sinks=[sink])
    for n in range(200):
        log.info("evt", n=n)
    sink.close()
    assert sink.stats.sent == 200
    assert sink.stats.failed == 0

    async def read_back() -> list[int]:
        nc = await nats.connect(nats_url)
        try:
            js = nc.jetstream()
            info = await js.stream_info(stream)
            sub = await js.pull_subscribe(subject, durable=None, stream=stream)
            got: list[int] = []
            while len(got) < 200:  # a fetch may return part of what is there
                got += [json.loads(m.data)["n"] for m in await sub.fetch(200, timeout=5)]
            await js.delete_stream(stream)
            assert info.state.messages == 200
            return got
        finally:
            await nc.close()

    assert sorted(asyncio.run(read_back())) == list(range(200))


def test_kafka_sink_produces_with_acks_all(kafka_bootstrap: str) -> None:
    from aiokafka import AIOKafkaConsumer

    topic = f"pt-logs-{secrets.token_hex(4)}"
    sink = KafkaSink(kafka_bootstrap, topic=topic)
    log = StructuredLogger("kafka", sinks=[sink])
    for n in range(100):
        log.info("evt", n=n)
    sink.close()
    assert sink.stats.sent == 100, sink.stats
    assert sink.stats.failed == 0

    async def consume() -> list[int]:
        consumer = AIOKafkaConsumer(
            topic, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest"
        )
        await consumer.start()
        got: list[int] = []
        try:
            while len(got) < 100:
                batch = await consumer.getmany(timeout_ms=5000)
                if not batch:
                    break
                got += [json.loads(m.value)["n"] for msgs in batch.values() for m in msgs]
        finally:
            await consumer.stop()
        return got

    assert sorted(asyncio.run(consume())) == list(range(100))


def test_cloudwatch_sink_puts_log_events(aws) -> None:
    import boto3

    group = f"/pt/{secrets.token_hex(4)}"
    sink = CloudWatchSink(group, "stream-1")
    log = StructuredLogger("cw", sinks=[sink])
    for n in range(150):
        log.info("evt", n=n)
    sink.close()
    assert sink.stats.sent == 150, sink.stats
    client = boto3.client("logs")
    events = client.get_log_events(
        logGroupName=group, logStreamName="stream-1", startFromHead=True
    )["events"]
    assert [json.loads(e["message"])["n"] for e in events] == list(range(150))
    again = CloudWatchSink(group, "stream-1")  # existing group and stream are reused
    again.close()


def test_postgres_queries_never_hold_up_delivery(
    postgres_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from powertools.logging import LogEvent, Query

    table = f"logs_{secrets.token_hex(4)}"
    sink = PostgresSink(postgres_dsn, table=table)
    log = StructuredLogger("pg", sinks=[sink])
    assert len(log.query(event_type="before")) == 0  # no table yet: nothing, not an error
    assert log.count() == 0
    for n in range(10):
        log.info("before", n=n)
    entered, release = threading.Event(), threading.Event()
    parse = LogEvent.from_json.__func__  # type: ignore[attr-defined]

    def slow_parse(cls: type[LogEvent], line: str | bytes) -> LogEvent:
        entered.set()
        release.wait(30)
        return parse(cls, line)

    monkeypatch.setattr(LogEvent, "from_json", classmethod(slow_parse))
    reader = threading.Thread(target=lambda: log.query(event_type="before").rows())
    reader.start()
    assert entered.wait(30)
    monkeypatch.undo()
    for n in range(300):
        log.info("during", n=n)
    try:
        sink.flush(timeout=10)  # before: the query ran on the writer's thread, so this failed
        assert sink.stats.sent == 310
    finally:
        release.set()
        reader.join(30)
    assert sink.count(Query(event_type="during")) == 300
    sink.close()


def test_postgres_filters_under_one_parent_are_one_containment(postgres_dsn: str) -> None:
    sink = PostgresSink(postgres_dsn, table=f"logs_{secrets.token_hex(4)}")
    log = StructuredLogger("pg", sinks=[sink])
    log.info("call", n=1, usage={"tokens": 5, "model": "a"})
    log.info("call", n=2, usage={"tokens": 5, "model": "b"})
    log.info("call", n=3, usage={"tokens": 6, "model": "a"})
    both = {"usage.tokens": 5, "usage.model": "a"}
    assert [e["n"] for e in log.query(filters=both)] == [1]
    assert log.count(filters=both) == 1
    sink.close()


def test_a_postgres_sink_whose_server_is_down_says_so_and_closes_without_hanging(
    capsys: pytest.CaptureFixture[str],
) -> None:
    dsn = f"postgresql://logger:secret@127.0.0.1:{free_port()}/test"
    sink = PostgresSink(dsn)
    log = StructuredLogger("pg", sinks=[sink])
    with pytest.raises(SinkError, match=r"reader at .*127\.0\.0\.1.* could not read") as caught:
        log.query(event_type="anything").rows()  # before: asyncpg's ConnectionRefusedError
    assert "ConnectionRefusedError" in str(caught.value)
    assert "secret" not in str(caught.value)
    with pytest.raises(SinkError, match="could not read"):
        log.count()
    log.info("lost")
    sink.close(timeout=30)
    assert sink.stats.sent == 0
    assert sink.stats.lost == 1
    err = capsys.readouterr().err
    assert "the postgres sink at" in err
    assert "secret" not in err
    assert "Traceback" not in err


def _stream_messages(nats_url: str, stream: str) -> int:
    import nats

    async def count() -> int:
        nc = await nats.connect(nats_url)
        try:
            js = nc.jetstream()
            info = await js.stream_info(stream)
            await js.delete_stream(stream)
            return int(info.state.messages)
        finally:
            await nc.close()

    return asyncio.run(count())


def test_a_nats_sink_keeps_its_connection_and_may_publish_to_an_existing_stream(
    nats_url: str,
) -> None:
    subject = f"pt.logs.{secrets.token_hex(4)}"
    stream = f"PT_{secrets.token_hex(4)}"
    creator = NatsSink(nats_url, subject=subject, stream=stream)
    log = StructuredLogger("nats", sinks=[creator])
    log.info("first")
    creator.flush()
    connection = creator._nc
    log.info("second")
    creator.flush()
    assert creator._nc is connection  # one connection for every batch
    creator.close()
    user = NatsSink(nats_url, subject=subject, stream=None)  # the stream is someone else's
    StructuredLogger("nats", sinks=[user]).info("third")
    user.close()
    assert (creator.stats.sent, user.stats.sent, user.stats.failed) == (2, 1, 0)
    assert _stream_messages(nats_url, stream) == 3


def test_a_nats_stream_that_cannot_be_created_fails_the_delivery_in_one_line(
    nats_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    subject = f"pt.logs.{secrets.token_hex(4)}"
    taken = f"PT_{secrets.token_hex(4)}"
    owner = NatsSink(nats_url, subject=subject, stream=taken)
    StructuredLogger("nats", sinks=[owner]).info("owned")
    owner.close()
    rival = NatsSink(nats_url, subject=subject, stream=f"PT_{secrets.token_hex(4)}")
    StructuredLogger("nats", sinks=[rival]).info("refused")
    rival.close()  # the subject already belongs to another stream: overlapping subjects
    assert (rival.stats.sent, rival.stats.failed) == (0, 1)
    assert rival._nc is None  # the connection was closed with the failed attempt
    err = capsys.readouterr().err
    assert err.count(f"the nats sink at {nats_url} cannot deliver") == 1
    assert "Traceback" not in err
    assert _stream_messages(nats_url, taken) == 1


def test_a_nats_sink_whose_server_is_down_counts_its_events_and_closes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"nats://127.0.0.1:{free_port()}"
    sink = NatsSink(url, subject="pt.down")
    StructuredLogger("nats", sinks=[sink]).info("lost")
    sink.close(timeout=30)
    assert (sink.stats.sent, sink.stats.lost) == (0, 1)
    err = capsys.readouterr().err
    assert f"the nats sink at {url} cannot deliver" in err
    assert "Traceback" not in err


def test_a_kafka_url_must_name_a_broker() -> None:
    from powertools.logging import ConfigurationError

    with pytest.raises(ConfigurationError, match="names no broker: use kafka://host:9092"):
        KafkaSink.from_url("kafka://?topic=logs")


def test_a_kafka_sink_keeps_its_producer_across_batches(kafka_bootstrap: str) -> None:
    sink = KafkaSink(kafka_bootstrap, topic=f"pt-logs-{secrets.token_hex(4)}")
    log = StructuredLogger("kafka", sinks=[sink])
    log.info("first")
    sink.flush(timeout=60)
    producer = sink._producer
    log.info("second")
    sink.flush(timeout=60)
    assert producer is not None
    assert sink._producer is producer
    sink.close()
    assert (sink.stats.sent, sink.stats.failed) == (2, 0)


def test_a_kafka_sink_whose_broker_is_down_counts_its_events_and_closes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bootstrap = f"127.0.0.1:{free_port()}"
    sink = KafkaSink(bootstrap)
    StructuredLogger("kafka", sinks=[sink]).info("lost")
    sink.close(timeout=60)
    assert (sink.stats.sent, sink.stats.lost, sink._producer) == (0, 1, None)
    err = capsys.readouterr().err
    assert f"the kafka sink at {bootstrap} cannot deliver" in err
    assert "Traceback" not in err

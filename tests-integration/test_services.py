"""Each shared service fixture, proven against the real service it provides."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration


def test_redis_url_is_an_empty_private_database(redis_url: str) -> None:
    import redis

    with redis.Redis.from_url(redis_url) as client:
        assert client.dbsize() == 0
        client.set("greeting", "hello")
        assert client.get("greeting") == b"hello"
        assert int(redis_url.rsplit("/", 1)[1]) != 0


def test_redis_url_is_flushed_between_tests(redis_url: str) -> None:
    import redis

    with redis.Redis.from_url(redis_url) as client:
        assert client.get("greeting") is None


def test_redis_cluster_spreads_slots_and_rejects_crossslot(redis_cluster_url: str) -> None:
    import redis
    from redis.cluster import RedisCluster

    client = RedisCluster.from_url(redis_cluster_url)
    try:
        nodes = client.get_primaries()
        assert len(nodes) == 3
        for i in range(50):
            client.set(f"key-{i}", i)
        assert sum(int(n.redis_connection.dbsize()) for n in nodes) == 50
        script = "return redis.call('MGET', KEYS[1], KEYS[2])"
        # keys with one hash tag share a slot: the script runs
        assert client.eval(script, 2, "{budget:a}:spent", "{budget:a}:held") == [None, None]
        # keys without a shared tag land in different slots: the cluster refuses
        with pytest.raises(redis.exceptions.RedisClusterException):
            client.eval(script, 2, "budget:a:spent", "budget:b:held")
    finally:
        client.close()


async def test_postgres_dsn_is_a_fresh_database(postgres_dsn: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(postgres_dsn)
    try:
        name = await connection.fetchval("select current_database()")
        assert name.startswith("powertools_test_")
        await connection.execute("create table t (id int primary key, v text)")
        await connection.execute("insert into t values (1, 'x')")
        assert await connection.fetchval("select v from t where id = 1") == "x"
    finally:
        await connection.close()


def test_s3_bucket_on_moto_honours_conditional_writes(s3: Any) -> None:
    import boto3
    from botocore.exceptions import ClientError

    s3.client.put_object(Bucket=s3.name, Key="k", Body=b"v1", IfNoneMatch="*")
    with pytest.raises(ClientError) as info:
        s3.client.put_object(Bucket=s3.name, Key="k", Body=b"v2", IfNoneMatch="*")
    assert info.value.response["Error"]["Code"] in {"PreconditionFailed", "412"}
    # a client made with no arguments reaches moto through the environment
    body = boto3.client("s3").get_object(Bucket=s3.name, Key="k")["Body"].read()
    assert body == b"v1"


def test_cloudwatch_logs_on_moto(aws: Any) -> None:
    logs = aws.client("logs")
    logs.create_log_group(logGroupName="g")
    logs.create_log_stream(logGroupName="g", logStreamName="s")
    now_ms = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="g", logStreamName="s", logEvents=[{"timestamp": now_ms, "message": "hello"}]
    )
    events = logs.get_log_events(logGroupName="g", logStreamName="s")["events"]
    assert [e["message"] for e in events] == ["hello"]


def test_gcs_bucket_enforces_generation_preconditions(gcs: Any) -> None:
    from google.api_core.exceptions import PreconditionFailed

    blob = gcs.client.bucket(gcs.name).blob("k")
    blob.upload_from_string(b"v1", if_generation_match=0)
    generation = gcs.client.bucket(gcs.name).get_blob("k").generation
    blob.upload_from_string(b"v2", if_generation_match=generation)
    with pytest.raises(PreconditionFailed):
        blob.upload_from_string(b"v3", if_generation_match=generation)  # stale generation
    assert os.environ["STORAGE_EMULATOR_HOST"] == gcs.endpoint_url


async def test_nats_jetstream_acknowledges_publishes(nats_url: str) -> None:
    import nats

    connection = await nats.connect(nats_url)
    try:
        js = connection.jetstream()
        stream = f"PT_{uuid.uuid4().hex[:8]}"
        await js.add_stream(name=stream, subjects=[f"{stream}.>"])
        ack = await js.publish(f"{stream}.x", b"hello")
        assert ack.stream == stream
        assert ack.seq == 1
        await js.delete_stream(stream)
    finally:
        await connection.close()


async def test_kafka_broker_produces_and_consumes(kafka_bootstrap: str) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    topic = f"pt-{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(3):
            await producer.send_and_wait(topic, f"event-{i}".encode())
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        got: list[bytes] = []
        async with asyncio.timeout(30):
            while len(got) < 3:
                batch = await consumer.getmany(timeout_ms=500)
                got += [record.value for records in batch.values() for record in records]
        # the broker may give a new topic several partitions: order holds per partition only
        assert sorted(got) == [b"event-0", b"event-1", b"event-2"]
    finally:
        await consumer.stop()


def test_llama_server_answers_chat_completions_with_usage(llama_server: str) -> None:
    models = httpx.get(f"{llama_server}/v1/models", timeout=10).json()
    assert models["data"]
    reply = httpx.post(
        f"{llama_server}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "Once upon a time"}], "max_tokens": 8},
        timeout=60,
    ).json()
    assert reply["usage"]["completion_tokens"] > 0
    assert reply["usage"]["prompt_tokens"] > 0
    assert "timings" in reply


def test_tiktoken_encodes_offline(tiktoken_cache: Any) -> None:
    import tiktoken

    assert os.environ["TIKTOKEN_CACHE_DIR"] == str(tiktoken_cache)
    assert len(tiktoken.get_encoding("o200k_base").encode("hello world")) == 2
    assert len(tiktoken.encoding_for_model("gpt-4").encode("hello world")) == 2

"""Kafka sink (the ``kafka`` extra: aiokafka), ``acks="all"``, batched by the producer."""

from __future__ import annotations

import asyncio
from typing import Any

from powertools.logging._record import LogRecord
from powertools.logging._redact import hide_password
from powertools.logging._sink import AsyncBatchSink
from powertools.logging._urls import SinkUrl
from powertools.logging._worker import FullPolicy
from powertools.logging.errors import ConfigurationError, MissingExtraError

__all__ = ["KafkaSink"]


class KafkaSink(AsyncBatchSink):
    """Produce each event's JSON line to ``topic``, keyed by logger name, with ``acks="all"``.

    A batch counts as sent once every record is acknowledged by all in-sync replicas.
    Full-queue policy: drop (after ``block_timeout`` seconds, default 0: a logging call never
    waits), counted in ``stats.dropped``.
    """

    name = "kafka"
    quiet_loggers = (
        "aiokafka",
        "aiokafka.client",
        "aiokafka.conn",
        "aiokafka.cluster",
        "aiokafka.producer.producer",
        "aiokafka.producer.sender",
    )

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        topic: str = "powertools-logs",
        level: int = 0,
        max_queue: int = 10_000,
        max_batch: int = 1000,
        policy: FullPolicy = "drop",
        block_timeout: float = 0.0,
    ) -> None:
        try:
            import aiokafka  # noqa: F401
        except ImportError:
            raise MissingExtraError("kafka", "kafka") from None
        self._bootstrap, self.topic = bootstrap_servers, topic
        self._producer: Any = None
        super().__init__(
            level=level,
            max_queue=max_queue,
            max_batch=max_batch,
            policy=policy,
            block_timeout=block_timeout,
            target=hide_password(bootstrap_servers),
        )

    @classmethod
    def from_url(cls, url: str) -> KafkaSink:
        """``kafka://host1:9092[,host2:9092][?topic=...]``."""
        parts = SinkUrl(url, "kafka", {"topic"})
        if not parts.where:
            raise ConfigurationError(f"{url!r} names no broker: use kafka://host:9092")
        return cls(parts.where, topic=parts.get("topic") or "powertools-logs")

    async def _started(self) -> Any:
        if self._producer is None:
            from aiokafka import AIOKafkaProducer

            producer = AIOKafkaProducer(
                bootstrap_servers=self._bootstrap,
                acks="all",
                linger_ms=5,
                request_timeout_ms=10_000,
                retry_backoff_ms=250,
            )
            try:
                await producer.start()
            except BaseException:
                await producer.stop()  # else its connections and tasks outlive the attempt
                raise
            self._producer = producer
        return self._producer

    async def asend_batch(self, batch: list[LogRecord]) -> None:
        """Queue the batch in the producer, then wait for every acknowledgement."""
        producer = await self._started()
        pending = [
            await producer.send(
                self.topic,
                value=r.line.encode(),
                key=r.logger.encode(),
                timestamp_ms=int(r.time * 1000),
            )
            for r in batch
        ]
        await asyncio.gather(*pending)

    async def aclose_client(self) -> None:
        """Flush and stop the producer."""
        if self._producer is not None:
            await self._producer.stop()

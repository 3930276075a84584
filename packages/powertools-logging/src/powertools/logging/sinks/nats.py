"""NATS JetStream sink (the ``nats`` extra: nats-py): every publish is acknowledged by the
stream before the batch counts as sent."""

from __future__ import annotations

import asyncio
from typing import Any

from powertools.logging._record import LogRecord
from powertools.logging._redact import hide_password
from powertools.logging._sink import AsyncBatchSink
from powertools.logging._worker import FullPolicy
from powertools.logging.errors import MissingExtraError

__all__ = ["NatsSink"]


class NatsSink(AsyncBatchSink):
    """Publish each event's JSON line to ``subject`` on JetStream.

    ``stream``: create (or reuse) this stream over ``subject`` so publishes are stored and
    acknowledged. Full-queue policy: drop (after ``block_timeout`` seconds, default 0: a
    logging call never waits), counted in ``stats.dropped``.
    """

    name = "nats"

    def __init__(
        self,
        url: str = "nats://127.0.0.1:4222",
        *,
        subject: str = "powertools.logs",
        stream: str | None = "POWERTOOLS_LOGS",
        level: int = 0,
        max_queue: int = 10_000,
        max_batch: int = 500,
        policy: FullPolicy = "drop",
        block_timeout: float = 0.0,
    ) -> None:
        try:
            import nats  # noqa: F401
        except ImportError:
            raise MissingExtraError("nats", "nats") from None
        self._url, self.subject, self.stream = url, subject, stream
        self._nc: Any = None
        self._js: Any = None
        super().__init__(
            level=level,
            max_queue=max_queue,
            max_batch=max_batch,
            policy=policy,
            block_timeout=block_timeout,
            target=hide_password(url),
        )

    async def _ignore_error(self, error: Exception) -> None:
        """nats-py's error callback: the worker reports outages in one line, so say nothing
        (nats-py's default logs a traceback per attempt)."""

    async def _jetstream(self) -> Any:
        if self._nc is None or self._nc.is_closed:
            import nats

            # one connection attempt and one quick retry per delivery: reconnecting with
            # backoff is the worker's job, so an outage cannot hold a batch for minutes
            nc = await nats.connect(
                self._url,
                connect_timeout=2,
                max_reconnect_attempts=1,
                reconnect_time_wait=0.25,  # type: ignore[arg-type,unused-ignore]  # a float works
                error_cb=self._ignore_error,
            )
            js = nc.jetstream()
            try:
                if self.stream is not None:
                    await js.add_stream(name=self.stream, subjects=[self.subject])
            except BaseException:
                await nc.close()  # connect again, stream included, on the next delivery
                raise
            self._nc, self._js = nc, js
        return self._js

    async def asend_batch(self, batch: list[LogRecord]) -> None:
        """Publish the batch concurrently and wait for every acknowledgement."""
        js = await self._jetstream()
        await asyncio.gather(*(js.publish(self.subject, r.line.encode()) for r in batch))

    async def aclose_client(self) -> None:
        """Drain and close the connection."""
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.drain()

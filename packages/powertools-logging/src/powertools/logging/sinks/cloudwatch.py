"""CloudWatch Logs sink (the ``cloudwatch`` extra: boto3), batched within PutLogEvents limits.

boto3 is blocking, so it runs on the sink's own thread, never on the application's event loop.
"""

from __future__ import annotations

import contextlib
from typing import Any

from powertools.logging._batches import CLOUDWATCH, pack, truncate_utf8
from powertools.logging._record import LogRecord
from powertools.logging._sink import BatchSink
from powertools.logging._urls import SinkUrl
from powertools.logging._worker import FullPolicy
from powertools.logging.errors import ConfigurationError, MissingExtraError, SinkError

__all__ = ["CloudWatchSink", "cloudwatch_batches"]

_DAY_MS = 24 * 3600 * 1000


def cloudwatch_batches(records: list[LogRecord]) -> list[list[dict[str, Any]]]:
    """``logEvents`` lists for PutLogEvents: chronological, each request within every limit."""
    events: list[dict[str, Any]] = [
        {
            "timestamp": int(r.time * 1000),
            "message": truncate_utf8(r.line, CLOUDWATCH.max_item_bytes - CLOUDWATCH.item_overhead),
        }
        for r in sorted(records, key=lambda r: r.time)
    ]
    return list(
        pack(
            events,
            lambda e: len(e["message"].encode()),
            CLOUDWATCH,
            same_request=lambda first, e: e["timestamp"] - first["timestamp"] < _DAY_MS,
        )
    )


class CloudWatchSink(BatchSink):
    """Send events to a CloudWatch Logs group and stream (both created if missing).

    Full-queue policy: drop (after ``block_timeout`` seconds, default 0: a logging call never
    waits), counted in ``stats.dropped``.
    """

    name = "cloudwatch"

    def __init__(
        self,
        log_group: str,
        log_stream: str = "powertools",
        *,
        client: Any = None,
        create: bool = True,
        level: int = 0,
        max_queue: int = 10_000,
        policy: FullPolicy = "drop",
        block_timeout: float = 0.0,
    ) -> None:
        if client is None:
            try:
                import boto3
            except ImportError:
                raise MissingExtraError("cloudwatch", "cloudwatch") from None
            client = boto3.client("logs")
        self._client, self.log_group, self.log_stream, self._create = (
            client,
            log_group,
            log_stream,
            create,
        )
        super().__init__(
            level=level,
            max_queue=max_queue,
            max_batch=10_000,
            policy=policy,
            block_timeout=block_timeout,
            target=f"{log_group}/{log_stream}",
        )

    @classmethod
    def from_url(cls, url: str) -> CloudWatchSink:
        """``cloudwatch://<group>[?stream=...&region=...&endpoint=...&create=false]``; a group
        with slashes is written after three: ``cloudwatch:///aws/lambda/app``."""
        parts = SinkUrl(url, "cloudwatch", {"stream", "region", "endpoint", "create"})
        if not parts.where:
            raise ConfigurationError(f"{url!r} names no log group: use cloudwatch://<group>")
        try:
            import boto3
        except ImportError:
            raise MissingExtraError("cloudwatch", "cloudwatch") from None
        client = boto3.client(
            "logs", region_name=parts.get("region"), endpoint_url=parts.get("endpoint")
        )
        return cls(
            parts.where,
            parts.get("stream") or "powertools",
            client=client,
            create=parts.flag("create", True),
        )

    def start(self) -> None:
        """Create the group and stream unless they exist."""
        if not self._create:
            return
        calls = (
            (self._client.create_log_group, {"logGroupName": self.log_group}),
            (
                self._client.create_log_stream,
                {"logGroupName": self.log_group, "logStreamName": self.log_stream},
            ),
        )
        for call, kwargs in calls:
            with contextlib.suppress(self._client.exceptions.ResourceAlreadyExistsException):
                call(**kwargs)

    def send_batch(self, batch: list[LogRecord]) -> None:
        """PutLogEvents for each request-sized part of the batch."""
        for events in cloudwatch_batches(batch):
            response = self._client.put_log_events(
                logGroupName=self.log_group, logStreamName=self.log_stream, logEvents=events
            )
            rejected = response.get("rejectedLogEventsInfo")
            if rejected:
                raise SinkError(f"CloudWatch rejected events: {rejected}", retryable=False)

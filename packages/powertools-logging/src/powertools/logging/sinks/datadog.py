"""Datadog sink (the ``datadog`` extra: httpx): gzip'd JSON to the v2 logs intake, batched
within its limits (5 MiB per request before compression, 1,000 entries, 1 MiB per log)."""

from __future__ import annotations

import gzip
import json
import os
import socket

from powertools.logging._batches import DATADOG, pack, truncate_utf8
from powertools.logging._http import post_checked
from powertools.logging._levels import LEVEL_NAMES
from powertools.logging._record import LogRecord
from powertools.logging._sink import BatchSink
from powertools.logging._urls import SinkUrl
from powertools.logging._worker import FullPolicy
from powertools.logging.errors import ConfigurationError, MissingExtraError

__all__ = ["DatadogSink", "datadog_payloads"]


def _entry(record: LogRecord, meta: dict[str, str]) -> bytes:
    message = record.line
    while True:
        entry = json.dumps(
            {
                "message": message,
                "ddsource": "powertools",
                "service": meta["service"],
                "hostname": meta["hostname"],
                "ddtags": meta["tags"],
                "status": LEVEL_NAMES.get(record.level, "info"),
            },
            ensure_ascii=False,
        ).encode()
        excess = len(entry) - DATADOG.max_item_bytes
        if excess <= 0:
            return entry
        # escaping can make the entry longer than its message: cut by the excess and retry
        message = truncate_utf8(message, len(message.encode()) - excess - 64)


def datadog_payloads(
    records: list[LogRecord], *, service: str, hostname: str, tags: str
) -> list[bytes]:
    """Uncompressed JSON arrays, each a request within Datadog's limits."""
    meta = {"service": service, "hostname": hostname, "tags": tags}
    entries = [_entry(r, meta) for r in records]
    return [b"[" + b",".join(part) + b"]" for part in pack(entries, len, DATADOG)]


class DatadogSink(BatchSink):
    """Send events to Datadog; the API key comes from ``api_key`` or ``DD_API_KEY``.

    ``url`` defaults to the intake of ``DD_SITE`` (``datadoghq.com``). Full-queue policy: drop
    (after ``block_timeout`` seconds, default 0: a logging call never waits), counted.
    """

    name = "datadog"

    def __init__(
        self,
        *,
        api_key: str | None = None,
        url: str | None = None,
        service: str = "powertools",
        tags: str = "",
        level: int = 0,
        max_queue: int = 10_000,
        policy: FullPolicy = "drop",
        block_timeout: float = 0.0,
        timeout: float = 10.0,
    ) -> None:
        try:
            import httpx
        except ImportError:
            raise MissingExtraError("datadog", "datadog") from None
        key = api_key or os.environ.get("DD_API_KEY")
        if not key:
            raise ConfigurationError(
                "the Datadog sink needs an API key: pass api_key= or set DD_API_KEY"
            )
        site = os.environ.get("DD_SITE", "datadoghq.com")
        self.url = url or f"https://http-intake.logs.{site}/api/v2/logs"
        self._client = httpx.Client(timeout=timeout, headers={"DD-API-KEY": key})
        self._meta = {"service": service, "hostname": socket.gethostname(), "tags": tags}
        super().__init__(
            level=level,
            max_queue=max_queue,
            max_batch=5000,
            policy=policy,
            block_timeout=block_timeout,
            target=self.url,
        )

    @classmethod
    def from_url(cls, url: str) -> DatadogSink:
        """``datadog://[HOST[:PORT]/PATH][?service=...&tags=...&tls=false]``; the API key comes
        from ``DD_API_KEY`` (never put it in a URL).

        >>> import os
        >>> from unittest import mock
        >>> with mock.patch.dict(os.environ, {"DD_API_KEY": "k"}):
        ...     sink = DatadogSink.from_url("datadog://intake.example:8443/api/v2/logs?service=api")
        >>> sink.url
        'https://intake.example:8443/api/v2/logs'
        >>> sink.close()
        """
        parts = SinkUrl(url, "datadog", {"service", "tags", "tls"})
        scheme = "https" if parts.flag("tls", True) else "http"
        return cls(
            url=f"{scheme}://{parts.where}" if parts.where else None,
            service=parts.get("service") or "powertools",
            tags=parts.get("tags") or "",
        )

    def __repr__(self) -> str:
        return f"DatadogSink(url={self.url!r}, api_key=<hidden>)"

    def send_batch(self, batch: list[LogRecord]) -> None:
        """POST each request-sized part, gzip-compressed."""
        for payload in datadog_payloads(batch, **self._meta):
            post_checked(
                self._client,
                self.url,
                "Datadog",
                gzip.compress(payload),
                {"Content-Type": "application/json", "Content-Encoding": "gzip"},
            )

    def stop(self) -> None:
        """Close the HTTP client."""
        self._client.close()

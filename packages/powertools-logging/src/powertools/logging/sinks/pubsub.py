"""Google Pub/Sub sink (the ``pubsub`` extra: httpx), over the REST ``topics:publish`` call,
batched within its limits (1,000 messages and 10 MB per request)."""

from __future__ import annotations

import base64
import json
import os

from powertools.logging._batches import PUBSUB, pack
from powertools.logging._http import post_checked
from powertools.logging._levels import LEVEL_NAMES
from powertools.logging._record import LogRecord
from powertools.logging._sink import BatchSink
from powertools.logging._urls import SinkUrl
from powertools.logging._worker import FullPolicy
from powertools.logging.errors import ConfigurationError, MissingExtraError

__all__ = ["PubSubSink", "pubsub_bodies"]


def pubsub_bodies(records: list[LogRecord]) -> list[bytes]:
    """Request bodies for ``topics:publish``, each within the request limits."""
    messages = [
        json.dumps(
            {
                "data": base64.b64encode(r.line.encode()).decode(),
                "attributes": {
                    "event": r.event,
                    "level": LEVEL_NAMES.get(r.level, "info"),
                    "logger": r.logger,
                },
            },
            ensure_ascii=False,
        ).encode()
        for r in records
    ]
    return [b'{"messages":[' + b",".join(part) + b"]}" for part in pack(messages, len, PUBSUB)]


class PubSubSink(BatchSink):
    """Publish events to ``projects/<project>/topics/<topic>``.

    The endpoint is ``endpoint``, else ``http://$PUBSUB_EMULATOR_HOST``, else Google's; the
    OAuth token is ``access_token`` or ``GOOGLE_OAUTH_ACCESS_TOKEN`` (not needed by emulators).
    """

    name = "pubsub"

    def __init__(
        self,
        topic: str,
        *,
        endpoint: str | None = None,
        access_token: str | None = None,
        level: int = 0,
        max_queue: int = 10_000,
        policy: FullPolicy = "drop",
        block_timeout: float = 0.0,
        timeout: float = 10.0,
    ) -> None:
        try:
            import httpx
        except ImportError:
            raise MissingExtraError("pubsub", "pubsub") from None
        if not topic.startswith("projects/") or "/topics/" not in topic:
            raise ConfigurationError(
                f"Pub/Sub topic {topic!r} must look like projects/<project>/topics/<topic>"
            )
        emulator = os.environ.get("PUBSUB_EMULATOR_HOST")
        base = endpoint or (f"http://{emulator}" if emulator else "https://pubsub.googleapis.com")
        self.url = f"{base.rstrip('/')}/v1/{topic}:publish"
        token = access_token or os.environ.get("GOOGLE_OAUTH_ACCESS_TOKEN")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(timeout=timeout, headers=headers)
        super().__init__(
            level=level,
            max_queue=max_queue,
            max_batch=5000,
            policy=policy,
            block_timeout=block_timeout,
            target=self.url,
        )

    @classmethod
    def from_url(cls, url: str) -> PubSubSink:
        """``pubsub://projects/<project>/topics/<topic>[?endpoint=http://host:port]``.

        >>> sink = PubSubSink.from_url("pubsub://projects/p/topics/t?endpoint=http://h:8085")
        >>> sink.url, sink.close()
        ('http://h:8085/v1/projects/p/topics/t:publish', None)
        """
        parts = SinkUrl(url, "pubsub", {"endpoint"})
        return cls(parts.where, endpoint=parts.get("endpoint"))

    def __repr__(self) -> str:
        return f"PubSubSink(url={self.url!r})"

    def send_batch(self, batch: list[LogRecord]) -> None:
        """POST each request-sized part."""
        for body in pubsub_bodies(batch):
            post_checked(
                self._client, self.url, "Pub/Sub", body, {"Content-Type": "application/json"}
            )

    def stop(self) -> None:
        """Close the HTTP client."""
        self._client.close()

"""The one HTTP call of the HTTP sinks (Datadog, Pub/Sub): a POST whose error answer becomes a
:class:`SinkError` that says whether sending again may help."""

from __future__ import annotations

from typing import Any

from powertools.logging.errors import SinkError

__all__ = ["post_checked"]


def post_checked(
    client: Any, url: str, service: str, content: bytes, headers: dict[str, str]
) -> None:
    """POST ``content`` to ``url``; raise :class:`SinkError` on a 4xx or 5xx answer.

    A 5xx or a 429 is ``retryable`` (the batch is sent again); any other error is not (a
    refused key or a malformed batch will not succeed the second time).
    """
    response = client.post(url, content=content, headers=headers)
    status = response.status_code
    if status >= 400:
        raise SinkError(
            f"{service} answered {status} at {url}: {response.text[:200]}",
            retryable=status >= 500 or status == 429,
        )

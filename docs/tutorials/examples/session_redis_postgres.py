"""Sessions on Redis or PostgreSQL, shared by every process (needs [redis] / [postgres]).

Set REDIS_URL and POSTGRES_DSN (defaults: the local servers). Two handles stand for two
processes: one writes, the other reads it, and a stale writer is refused, not lost.
"""

from __future__ import annotations

import os
import uuid

from powertools.session import ConflictError, Session

STORES = {
    "redis": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0") + "?prefix=tutorial",
    "postgres": os.environ.get("POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"),
}


def share(store: str) -> None:
    name = f"user-{uuid.uuid4().hex[:8]}"
    web = Session(name, store=store)  # the web process
    worker = Session(name, store=store)  # a background worker, opened at the same version
    web.set("preferences", {"language": "fr", "tone": "formal"})
    web.append("history", "hello")

    try:
        worker.set("preferences", {"language": "en"})  # written from a stale version
    except ConflictError:
        worker.reload()  # take the newest version, then decide again
    assert worker.get("preferences") == {"language": "fr", "tone": "formal"}
    worker.append("history", "summary sent")

    fresh = Session(name, store=store)  # any process sees both writes
    assert fresh.get("history") == ["hello", "summary sent"]
    print(f"{store.split(':', 1)[0]}: {fresh.get_all()}")
    fresh.clear()  # tidy up: the session is empty again


def main() -> None:
    for store in STORES.values():
        share(store)


if __name__ == "__main__":
    main()

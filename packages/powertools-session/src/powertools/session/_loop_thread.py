"""A private event loop in a daemon thread, for async-only drivers (asyncpg) behind a sync API.

``Session`` is synchronous and may be called from inside a running event loop, where
``asyncio.run`` is forbidden; coroutines are therefore run on this loop instead and waited for
from the calling thread (or awaited through ``asyncio.wrap_future`` by ``AsyncSession``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["LoopThread", "shared_loop"]

T = TypeVar("T")


class LoopThread:
    """One event loop running forever in a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="powertools-session-io", daemon=True
        )
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and block this thread until it is done."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    async def arun(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the loop and await it from another loop without blocking that one."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))


_shared: LoopThread | None = None
_shared_lock = threading.Lock()


def shared_loop() -> LoopThread:
    """The process's one I/O loop thread, started on first use."""
    global _shared  # noqa: PLW0603 - one loop per process, created lazily
    with _shared_lock:
        if _shared is None:
            _shared = LoopThread()
        return _shared

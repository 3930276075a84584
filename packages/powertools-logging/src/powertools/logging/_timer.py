"""A timer for latency: a context manager (or decorator) that logs and aggregates durations."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

if TYPE_CHECKING:
    from powertools.logging._logger import StructuredLogger

__all__ = ["Timer"]

P = ParamSpec("P")
R = TypeVar("R")


class Timer:
    """Times a block: logs ``<name>`` with ``duration_ms`` and ``status``, observes the
    ``<name>.duration_ms`` histogram and counts ``<name>.calls`` and ``<name>.errors``, all
    under ``tags``. Each ``with`` (or each decorated call) is timed on its own, so one timer
    may be used by many tasks at once as a decorator; as a ``with`` block, make one per use.

    >>> from powertools.logging import StructuredLogger
    >>> from powertools.logging.testing import MemorySink
    >>> log = StructuredLogger("t", sinks=[MemorySink()])
    >>> ticks = iter([1.0, 1.25])
    >>> with log.timer("llm_call", tags={"model": "gpt-4"}, clock=lambda: next(ticks)):
    ...     pass
    >>> log.metrics.histogram("llm_call.duration_ms", {"model": "gpt-4"}).count
    1
    """

    def __init__(
        self,
        logger: StructuredLogger,
        name: str,
        clock: Callable[[], float],
        fields: dict[str, Any],
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        self._logger, self.name, self._clock, self._fields = logger, name, clock, fields
        self.tags: dict[str, Any] = dict(tags or {})
        self._started = 0.0
        self.duration_ms: float | None = None

    def __enter__(self) -> Timer:
        self._started = self._clock()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.duration_ms = (self._clock() - self._started) * 1000.0
        status = "ok" if exc_type is None else "error"
        metrics, tags = self._logger.metrics, self.tags
        metrics.histogram(f"{self.name}.duration_ms", tags).observe(self.duration_ms)
        metrics.counter(f"{self.name}.calls", tags).inc()
        fields = dict(self._fields)  # a timer used twice does not carry the last error on
        if exc_type is not None:
            metrics.counter(f"{self.name}.errors", tags).inc()
            fields["error"] = exc_type.__name__
        if tags:
            fields["tags"] = tags
        self._logger.info(self.name, duration_ms=self.duration_ms, status=status, **fields)

    async def __aenter__(self) -> Timer:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Use as a decorator: each call (or each await of a coroutine function) is timed."""
        if inspect.iscoroutinefunction(fn):
            return self._wrap_async(fn)  # type: ignore[return-value]

        @functools.wraps(fn)
        def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            with Timer(self._logger, self.name, self._clock, self._fields, self.tags):
                return fn(*args, **kwargs)

        return timed

    def _wrap_async(
        self, fn: Callable[P, Coroutine[Any, Any, R]]
    ) -> Callable[P, Coroutine[Any, Any, R]]:
        @functools.wraps(fn)
        async def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            with Timer(self._logger, self.name, self._clock, self._fields, self.tags):
                return await fn(*args, **kwargs)

        return timed

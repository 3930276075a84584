"""OpenTelemetry GenAI spans, when ``opentelemetry-api`` is installed; nothing otherwise.

One span per route (``gen_ai.operation.name = "route"``) and one per attempt
(``"chat"``), with the GenAI semantic conventions' attributes: ``gen_ai.provider.name``,
``gen_ai.request.model``, ``gen_ai.response.model``, ``gen_ai.usage.input_tokens``,
``gen_ai.usage.output_tokens`` and ``error.type`` on failure. Without a configured SDK the
API's tracer is a no-op, so the cost is a few attribute writes.

>>> with Telemetry(enabled=False).span("chat", {"gen_ai.request.model": "m"}) as span:
...     span.set("gen_ai.response.model", "m")
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["Telemetry"]


class _NoSpan:
    __slots__ = ()

    def set(self, key: str, value: Any) -> None:
        """Nothing to record."""

    def fail(self, exc: BaseException) -> None:
        """Nothing to record."""


class _Span:
    __slots__ = ("_span",)

    def __init__(self, span: Any) -> None:
        self._span = span

    def set(self, key: str, value: Any) -> None:
        """Set one attribute."""
        if value is not None:
            self._span.set_attribute(key, value)

    def fail(self, exc: BaseException) -> None:
        """Mark the span as failed with the error's type."""
        from opentelemetry.trace import Status, StatusCode

        self._span.set_attribute("error.type", type(exc).__name__)
        self._span.set_status(Status(StatusCode.ERROR, str(exc)[:200]))


_NO_SPAN = _NoSpan()
_NO_CONTEXT = contextlib.nullcontext(_NO_SPAN)  # reusable: enter and exit keep no state


class Telemetry:
    """Spans through the global OpenTelemetry tracer (``enabled=None``: when importable).

    Until an SDK installs a tracer provider, the API's spans record nothing; the router then
    skips them entirely (a check per span, so an SDK configured later is picked up).
    """

    def __init__(self, enabled: bool | None = None) -> None:
        self._tracer: Any = None  # a tracer given explicitly (tests), used as it is
        self._trace: Any = None
        if enabled is False:
            return
        try:
            from opentelemetry import trace
        except ImportError:
            return
        self._trace = trace
        self._provider: Any = None
        self._global: Any = None

    @property
    def enabled(self) -> bool:
        """Whether spans can be recorded (the API is importable, or a tracer was given)."""
        return self._tracer is not None or self._trace is not None

    def _current(self) -> Any:
        if self._tracer is not None:
            return self._tracer
        if self._trace is None:
            return None
        provider = self._trace.get_tracer_provider()
        if isinstance(provider, self._trace.ProxyTracerProvider):
            return None  # no SDK configured: nothing would be recorded
        if provider is not self._provider:
            self._provider = provider
            self._global = provider.get_tracer("powertools.router")
        return self._global

    def span(
        self, operation: str, attributes: Mapping[str, Any]
    ) -> contextlib.AbstractContextManager[_NoSpan | _Span]:
        """A span named ``"<operation> <model>"`` with the GenAI attributes.

        Without a configured SDK: a shared no-op context, nothing built per call.
        """
        tracer = self._current()
        if tracer is None:
            return _NO_CONTEXT
        return self._span(tracer, operation, attributes)

    @contextlib.contextmanager
    def _span(
        self, tracer: Any, operation: str, attributes: Mapping[str, Any]
    ) -> Iterator[_NoSpan | _Span]:
        name = f"{operation} {attributes.get('gen_ai.request.model', '')}".strip()
        attrs = {"gen_ai.operation.name": operation, **attributes}
        with tracer.start_as_current_span(
            name, attributes={k: v for k, v in attrs.items() if v is not None}
        ) as raw:
            span = _Span(raw)
            try:
                yield span
            except BaseException as exc:
                span.fail(exc)
                raise

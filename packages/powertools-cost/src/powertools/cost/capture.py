"""Track calls made with the SDKs people already use, through an httpx transport.

>>> import httpx
>>> from powertools.cost import CostTracker
>>> tracker = CostTracker()
>>> client = httpx.AsyncClient(transport=UsageCaptureTransport(tracker=tracker))

Pass ``client`` as ``openai.AsyncOpenAI(http_client=client)`` or
``anthropic.AsyncAnthropic(http_client=client)``: every response's usage (streamed or not) is
recorded into the span open around the call, or as its own call on ``tracker``.
Install with ``pip install 'powertools-cost[httpx]'``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import httpx

from powertools.cost._span import report_usage
from powertools.cost._wire import UsageReader, provider_path

if TYPE_CHECKING:
    from powertools.cost._tracker import CostTracker

__all__ = ["UsageCaptureSyncTransport", "UsageCaptureTransport"]


class _AsyncTap(httpx.AsyncByteStream):
    def __init__(
        self, inner: httpx.AsyncByteStream, reader: UsageReader, owner: UsageCaptureTransport
    ) -> None:
        self._inner, self._reader, self._owner = inner, reader, owner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._reader.feed(chunk)
            yield chunk
        await self._owner._report(self._reader)

    async def aclose(self) -> None:
        await self._inner.aclose()


class _SyncTap(httpx.SyncByteStream):
    def __init__(
        self, inner: httpx.SyncByteStream, reader: UsageReader, owner: UsageCaptureSyncTransport
    ) -> None:
        self._inner, self._reader, self._owner = inner, reader, owner

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._reader.feed(chunk)
            yield chunk
        self._owner._report(self._reader)

    def close(self) -> None:
        self._inner.close()


def _reader(request: httpx.Request, response: httpx.Response) -> UsageReader | None:
    if not provider_path(request.url.path) or not response.is_success:
        return None
    return UsageReader(request.url.path, response.headers.get("content-type", ""))


def _tapped(
    request: httpx.Request,
    response: httpx.Response,
    stream: httpx.AsyncByteStream | httpx.SyncByteStream,
) -> httpx.Response:
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        stream=stream,
        extensions=response.extensions,
        request=request,
    )


class UsageCaptureTransport(httpx.AsyncBaseTransport):
    """An async transport that records the usage of OpenAI, Anthropic and Gemini responses."""

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        tracker: CostTracker | None = None,
        task: str = "http",
    ) -> None:
        self._inner = transport or httpx.AsyncHTTPTransport()
        self.tracker = tracker
        self.task = task

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        reader = _reader(request, response)
        if reader is None:
            return response
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return _tapped(request, response, _AsyncTap(response.stream, reader, self))

    async def _report(self, reader: UsageReader) -> None:
        found = reader.result()
        if found is None:
            return
        usage, model = found
        if report_usage(usage, model=model) is None and self.tracker is not None:
            async with self.tracker.track_call(self.task, model) as span:
                span.record(usage)

    async def aclose(self) -> None:
        await self._inner.aclose()


class UsageCaptureSyncTransport(httpx.BaseTransport):
    """:class:`UsageCaptureTransport` for synchronous clients (``openai.OpenAI``)."""

    def __init__(
        self,
        transport: httpx.BaseTransport | None = None,
        *,
        tracker: CostTracker | None = None,
        task: str = "http",
    ) -> None:
        self._inner = transport or httpx.HTTPTransport()
        self.tracker = tracker
        self.task = task

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        reader = _reader(request, response)
        if reader is None:
            return response
        assert isinstance(response.stream, httpx.SyncByteStream)
        return _tapped(request, response, _SyncTap(response.stream, reader, self))

    def _report(self, reader: UsageReader) -> None:
        found = reader.result()
        if found is None:
            return
        usage, model = found
        if report_usage(usage, model=model) is None and self.tracker is not None:
            with self.tracker.track_call(self.task, model) as span:
                span.record(usage)

    def close(self) -> None:
        self._inner.close()

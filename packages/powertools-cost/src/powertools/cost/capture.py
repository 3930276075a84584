"""Track calls made with the SDKs people already use, through an httpx transport.

>>> import httpx
>>> from powertools.cost import CostTracker
>>> tracker = CostTracker()
>>> client = httpx.AsyncClient(transport=UsageCaptureTransport(tracker=tracker))

Pass ``client`` as ``openai.AsyncOpenAI(http_client=client)`` or
``anthropic.AsyncAnthropic(http_client=client)``: every response's usage (streamed or not,
compressed or not) is recorded into the span open around the call, or as its own call on
``tracker``. Install with ``pip install 'powertools-cost[httpx]'``.

The capture never fails the user's request. A budget refusal can only happen *before* the
request is sent (when no span is open, the transport reserves the call's worst case itself);
after that, whatever goes wrong (an unpriced model, a body it cannot read) is recorded as far
as possible (unpriced usage keeps its tokens, flagged ``unpriced``) and reported through
:class:`~powertools.cost.CaptureWarning` and the ``powertools.cost`` logger.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING

try:
    import httpx
except ImportError as exc:
    from powertools.cost.errors import MissingExtraError

    raise MissingExtraError("powertools.cost.capture", "httpx") from exc

from powertools.cost._span import Span, current_span
from powertools.cost._wire import UsageReader, provider_path
from powertools.cost.errors import CaptureWarning

if TYPE_CHECKING:
    from powertools.cost._tracker import CostTracker

__all__ = ["UsageCaptureSyncTransport", "UsageCaptureTransport"]

logger = logging.getLogger("powertools.cost")
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
_MAX_KEYS = ("max_tokens", "max_completion_tokens", "max_output_tokens")


def _failed(what: str, exc: BaseException) -> None:
    message = f"powertools.cost could not {what} ({type(exc).__name__}: {exc}); the call went on"
    logger.warning(message)
    warnings.warn(message, CaptureWarning, stacklevel=3)


class _Decoder:
    """The body as the SDK reads it: undo ``content-encoding`` (gzip, deflate, zstd, br)."""

    def __init__(self, encoding: str) -> None:
        from httpx._decoders import (
            SUPPORTED_DECODERS,
            ContentDecoder,
            IdentityDecoder,
            MultiDecoder,
        )

        names = [e.strip().lower() for e in encoding.split(",") if e.strip()]
        unknown = [n for n in names if n not in SUPPORTED_DECODERS]
        if unknown:
            raise ValueError(f"content-encoding {', '.join(unknown)} cannot be decoded here")
        children = [SUPPORTED_DECODERS[n]() for n in names]
        # as httpx's Response does: MultiDecoder only for several encodings (its flush would
        # feed a finished zstd frame once more)
        self._inner: ContentDecoder = IdentityDecoder()
        if len(children) == 1:
            self._inner = children[0]
        elif children:
            self._inner = MultiDecoder(children)

    def decode(self, chunk: bytes) -> bytes:
        return self._inner.decode(chunk)

    def flush(self) -> bytes:
        return self._inner.flush()


class _Call:
    """One captured call: its reader, and the span that receives its usage."""

    def __init__(self, request: httpx.Request, span: Span | None, own: bool) -> None:
        self.span, self.own, self.path = span, own, request.url.path
        self.local = request.url.host in _LOOPBACK
        self.reader: UsageReader | None = None
        self.decoder: _Decoder | None = None
        self.done = False

    def watch(self, response: httpx.Response) -> bool:
        """Start reading ``response``; False when it carries no usage to record."""
        if not response.is_success or self.span is None:
            return False
        try:
            self.decoder = _Decoder(response.headers.get("content-encoding", ""))
        except (ValueError, ImportError) as exc:
            _failed("decode the response body to read its usage", exc)
            return False
        self.reader = UsageReader(self.path, response.headers.get("content-type", ""))
        return True

    def feed(self, chunk: bytes) -> None:
        if self.reader is None or self.decoder is None or not chunk:
            return  # (an empty chunk after a zstd frame would be decoded as a second frame)
        try:
            self.reader.feed(self.decoder.decode(chunk))
        except Exception as exc:  # never the user's problem
            _failed("read the usage of a response", exc)
            self.reader = None

    def record(self) -> bool:
        """Put the usage into the span; True when some was found."""
        if self.done or self.span is None or self.reader is None or self.decoder is None:
            return False
        self.done = True
        try:
            self.reader.feed(self.decoder.flush())
            found = self.reader.result()
            if found is None:
                return False
            usage, model = found
            self.span.capture(usage, model=model, provider="local" if self.local else None)
        except Exception as exc:
            _failed("record the usage of a response", exc)
            return bool(self.span.records)
        return True


def _request_size(request: httpx.Request) -> tuple[str | None, int | None]:
    """The model and max output tokens a request asks for, when its JSON body says."""
    try:
        body = json.loads(request.content or b"{}")
    except (httpx.RequestNotRead, ValueError):
        return None, None
    if not isinstance(body, Mapping):
        return None, None
    config = body.get("generationConfig")
    limits = [body.get(k) for k in _MAX_KEYS]
    if isinstance(config, Mapping):
        limits.append(config.get("maxOutputTokens"))
    model = body.get("model")
    found = next((n for n in limits if type(n) is int and n > 0), None)
    return (model if isinstance(model, str) else None), found


def _own_span(tracker: CostTracker, task: str, request: httpx.Request, local: bool) -> Span:
    model, max_tokens = _request_size(request)
    if model is None:
        found = UsageReader(request.url.path, "").model  # Gemini names it in the URL
        model = found
    if model is not None and not local:
        try:
            tracker.price_of(model)
        except LookupError as exc:  # an unpriced model: hold what a model-less call holds
            _failed(f"price {model!r} before the call", exc)
            model = None
    return tracker.track_call(
        task, model, provider="local" if local else None, max_tokens=max_tokens
    )


class _AsyncTap(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, call: _Call) -> None:
        self._inner, self._call = inner, call

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._call.feed(chunk)
            yield chunk
        await _finish(self._call)

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            await _finish(self._call)


async def _finish(call: _Call) -> None:
    found = call.record()
    if not call.own or call.span is None:
        return
    span, call.own = call.span, False
    try:
        await span.finish(failed=not found)
    except Exception as exc:
        _failed("settle the call's budget hold", exc)


class _SyncTap(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, call: _Call) -> None:
        self._inner, self._call = inner, call

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            self._call.feed(chunk)
            yield chunk
        _finish_sync(self._call)

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            _finish_sync(self._call)


def _finish_sync(call: _Call) -> None:
    found = call.record()
    if not call.own or call.span is None:
        return
    span, call.own = call.span, False
    try:
        span.finish_sync(failed=not found)
    except Exception as exc:
        _failed("settle the call's budget hold", exc)


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
    """An async transport that records the usage of OpenAI, Anthropic and Gemini responses.

    With ``tracker`` and no span open, each call is tracked as its own span (task ``task``):
    its worst case is reserved before the request is sent, so :class:`BudgetExceededError`
    comes before the provider charges anything, never after.
    """

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

    async def _open(self, request: httpx.Request) -> _Call:
        span = current_span()
        if span is not None or self.tracker is None:
            return _Call(request, span, own=False)
        call = _Call(request, None, own=True)
        await self.tracker.aprices()  # the first call loads the prices off the loop
        own = _own_span(self.tracker, self.task, request, call.local)
        await own.start()  # may refuse the call: before it is sent
        call.span = own
        return call

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not provider_path(request.url.path):
            return await self._inner.handle_async_request(request)
        call = await self._open(request)
        try:
            response = await self._inner.handle_async_request(request)
        except BaseException:
            await _finish(call)
            raise
        if not call.watch(response):
            await _finish(call)
            return response
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return _tapped(request, response, _AsyncTap(response.stream, call))

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

    def _open(self, request: httpx.Request) -> _Call:
        span = current_span()
        if span is not None or self.tracker is None:
            return _Call(request, span, own=False)
        call = _Call(request, None, own=True)
        own = _own_span(self.tracker, self.task, request, call.local)
        own.start_sync()  # may refuse the call: before it is sent
        call.span = own
        return call

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not provider_path(request.url.path):
            return self._inner.handle_request(request)
        call = self._open(request)
        try:
            response = self._inner.handle_request(request)
        except BaseException:
            _finish_sync(call)
            raise
        if not call.watch(response):
            _finish_sync(call)
            return response
        assert isinstance(response.stream, httpx.SyncByteStream)
        return _tapped(request, response, _SyncTap(response.stream, call))

    def close(self) -> None:
        self._inner.close()

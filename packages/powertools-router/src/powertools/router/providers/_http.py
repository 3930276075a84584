"""What every HTTP family shares: sending with a deadline, reading errors, streaming.

A family (``openai.py``, ``anthropic.py``, ...) says how a :class:`Request` looks on its wire
(:meth:`HTTPProvider._body`), how its answer reads back (:meth:`HTTPProvider._parse`) and how its
stream is assembled (a :class:`StreamAssembler`); this base sends, times, and turns every
failure into one :class:`~powertools.router.errors.ProviderError`.

Every attempt has one deadline, from ``Request.timeout`` or the provider's ``timeout``: it
bounds the connection, the first byte and the whole answer, streamed or not.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, ClassVar, NamedTuple

import httpx

from powertools.retry import ErrorCategory
from powertools.router._request import Chunk, Request, Response, Timings
from powertools.router._secrets import Secret
from powertools.router._transport import Pool, shared_pool
from powertools.router.errors import ConfigurationError, ProviderError, StreamInterruptedError
from powertools.router.providers._base import Health, HealthStatus, ModelInfo
from powertools.router.providers._failures import error_from_response
from powertools.router.providers._json import dumps, loads
from powertools.router.providers._streams import StreamFormatError

__all__ = ["HTTPProvider", "StreamAssembler", "timings"]

Clock = Callable[[], float]


class Attempt(NamedTuple):
    """One call's model, its timeout in seconds and its deadline on the loop's clock."""

    model: str
    timeout: float
    deadline: float


class StreamAssembler:
    """Collects one family's stream events into text chunks and the final response."""

    delivered: int = 0  # characters of text already handed to the caller

    def feed(self, data: bytes) -> list[Chunk]:
        """The chunks made complete by ``data`` (raw bytes off the wire)."""
        raise NotImplementedError

    def close(self) -> list[Chunk]:
        """The chunks left when the stream ends (an event without its last blank line)."""
        return []

    def finish(self, headers: Mapping[str, str], elapsed: Timings) -> Response:
        """The final response; raises :class:`ProviderError` if the final event never came."""
        raise NotImplementedError


def timings(
    total: float, ttft: float | None, output_tokens: int, tps: float | None = None
) -> Timings:
    """Timings of one call; output tokens per second over the generation time when not given."""
    if tps is None and output_tokens:
        generating = total - (ttft or 0.0)
        tps = output_tokens / generating if generating > 0 else None
    return Timings(total=total, ttft=ttft, output_tokens_per_second=tps)


class HTTPProvider:
    """The base of the HTTP families; see the module docstring."""

    name: str = ""
    local: bool = False
    key_variables: tuple[str, ...] = ()
    key_required: bool = False  # a cloud API: calling without a key cannot succeed
    public_url: str = ""  # where it is required: a proxy or a test server may need none
    connect_hint: str = ""  # what to check when the server cannot be reached
    request_id_header: ClassVar[str] = "x-request-id"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: Secret | None = None,
        model: str | None = None,
        timeout: float = 120.0,
        health_timeout: float = 2.0,
        headers: Mapping[str, str] | None = None,
        client: httpx.AsyncClient | None = None,
        pool: Pool | None = None,
        clock: Clock = time.perf_counter,
    ) -> None:
        if timeout <= 0 or health_timeout <= 0:
            raise ConfigurationError(
                f"{self.name}: timeout={timeout} and health_timeout={health_timeout} must be "
                "positive seconds"
            )
        if not base_url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"{self.name}: base_url {base_url!r} must start with http:// or https://"
            )
        self.base_url = base_url.rstrip("/")
        self.default_model = model
        self.timeout = timeout
        self.health_timeout = health_timeout
        self._key = api_key
        self._extra_headers = dict(headers or {})
        self._own_client = client
        self._own_pool = pool is not None
        self._pool = pool or shared_pool()
        self._clock = clock
        self._urls: dict[str, httpx.URL] = {}
        self._built_headers: dict[str, str] | None = None

    def __repr__(self) -> str:
        key = "set" if self._key else "none"
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key={key})"

    # -- what a family provides -------------------------------------------------------------

    def _auth_headers(self, key: str) -> dict[str, str]:
        return {"authorization": f"Bearer {key}"}

    def _path(self, request: Request, stream: bool) -> str:
        raise NotImplementedError

    def _body(self, request: Request, stream: bool) -> dict[str, Any]:
        raise NotImplementedError

    def _parse(
        self, data: Any, headers: Mapping[str, str], elapsed: float, request: Request, model: str
    ) -> Response:
        raise NotImplementedError

    def _assembler(self, request: Request, model: str) -> StreamAssembler:
        raise NotImplementedError

    async def models(self) -> list[ModelInfo]:
        """The models this provider serves now."""
        raise NotImplementedError

    async def health(self) -> Health:
        """A cheap check of the endpoint, with a short timeout; never raises."""
        self._client()  # made (imports, TLS context) before the check is timed
        started = self._clock()
        try:
            await self._get_json(self._health_path())
        except ProviderError as exc:
            return Health(HealthStatus.DOWN, self._clock() - started, exc.message)
        return Health(HealthStatus.OK, self._clock() - started)

    def _health_path(self) -> str:
        return "/models"

    def _explain(self, status: int, message: str, model: str) -> str:
        """The provider's message with the fix a user needs (a family may add its own)."""
        if status in (401, 403) and self.key_variables:
            return f"{message} (check the API key: api_key= or {' / '.join(self.key_variables)})"
        return message

    async def aclose(self) -> None:
        """Close this provider's own pool (``pool=``); the shared pool and a ``client=`` stay open.

        A client passed in belongs to the caller, as with httpx; the shared pool serves every
        other provider too.
        """
        if self._own_pool:
            await self._pool.aclose()

    # -- the shared machinery ---------------------------------------------------------------

    def _client(self) -> httpx.AsyncClient:
        return self._own_client if self._own_client is not None else self._pool.client()

    def _headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json", "accept": "application/json"}
        if self._key:
            headers.update(self._auth_headers(self._key.reveal()))
        headers.update(self._extra_headers)
        return headers

    def _check_key(self, model: str) -> None:
        if self.key_required and not self._key and self.base_url == self.public_url:
            raise self._fail(
                f"no API key: pass api_key= or set {' or '.join(self.key_variables)}",
                model,
                category=ErrorCategory.PERMANENT,
            )

    def _model(self, request: Request) -> str:
        model = request.model or self.default_model
        if not model:
            raise ConfigurationError(
                f"{self.name}: no model given; set Request(model=...) or "
                f"{type(self).__name__}(model=...)"
            )
        return model

    def _attempt(self, model: str, timeout: float) -> Attempt:
        return Attempt(model, timeout, asyncio.get_running_loop().time() + timeout)

    def _fail(
        self,
        message: str,
        model: str,
        *,
        status: int | None = None,
        category: ErrorCategory | None = None,
        delivered: int = 0,
        request_id: str | None = None,
    ) -> ProviderError:
        kind = StreamInterruptedError if delivered else ProviderError
        return kind(
            self._scrub(message),
            provider=self.name,
            model=model,
            status_code=status,
            category=category,
            request_id=request_id,
            delivered_chars=delivered,
        )

    def _scrub(self, text: str) -> str:
        key = self._key.reveal() if self._key else ""
        return text.replace(key, "***") if len(key) >= 4 else text

    def _transport_error(
        self, exc: BaseException, attempt: Attempt, delivered: int = 0
    ) -> ProviderError:
        model = attempt.model
        if _is_timeout(exc):
            return self._fail(
                f"no complete answer within the attempt timeout of {attempt.timeout} s "
                f"({type(exc).__name__}); raise Request(timeout=...) for long answers",
                model,
                category=ErrorCategory.TIMEOUT,
                delivered=delivered,
            )
        hint = f"; {self.connect_hint}" if self.connect_hint else ""
        return self._fail(
            f"the connection to {self.base_url} failed ({describe(exc)}){hint}",
            model,
            category=ErrorCategory.TRANSIENT,
            delivered=delivered,
        )

    def _status_error(self, response: httpx.Response, body: bytes, model: str) -> ProviderError:
        return error_from_response(
            self.name,
            model,
            response.status_code,
            response.headers,
            body,
            explain=lambda status, text, model: self._scrub(self._explain(status, text, model)),
            request_id=response.headers.get(self.request_id_header),
        )

    def _build(self, method: str, path: str, body: Mapping[str, Any] | None) -> httpx.Request:
        content = None if body is None else dumps(body)
        url = self._urls.get(path)
        if url is None:  # parsed once per path: httpx parses a str URL on every request
            url = self._urls[path] = httpx.URL(self.base_url + path)
        if self._built_headers is None:
            self._built_headers = self._headers()
        return self._client().build_request(
            method, url, content=content, headers=self._built_headers
        )

    async def _send(self, request: httpx.Request, attempt: Attempt) -> httpx.Response:
        """Send and return a response whose status is a success, its body not yet read."""
        client = self._client()
        try:
            async with asyncio.timeout_at(attempt.deadline):
                response = await client.send(request, stream=True)
                if response.status_code >= 400:
                    body = await response.aread()
                    await response.aclose()
                    raise self._status_error(response, body, attempt.model)
        except (httpx.HTTPError, TimeoutError, OSError) as exc:
            raise self._transport_error(exc, attempt) from exc
        return response

    async def _exchange(self, request: httpx.Request, attempt: Attempt) -> httpx.Response:
        """Send and read the whole answer under one deadline; a failure status raises."""
        client = self._client()
        try:
            async with asyncio.timeout_at(attempt.deadline):
                response = await client.send(request)  # read and closed by httpx
        except (httpx.HTTPError, TimeoutError, OSError) as exc:
            raise self._transport_error(exc, attempt) from exc
        if response.status_code >= 400:
            raise self._status_error(response, response.content, attempt.model)
        return response

    def _json_of(self, response: httpx.Response, model: str) -> Any:
        body = response.content
        if not body or body.isspace():
            raise self._fail(
                f"HTTP {response.status_code} with an empty body where an answer was due",
                model,
                category=ErrorCategory.TRANSIENT,
                request_id=_plain(response).get(self.request_id_header),
            )
        try:
            return loads(body)
        except ValueError:
            raise self._fail(
                f"malformed JSON in the answer: {body[:200]!r}",
                model,
                category=ErrorCategory.TRANSIENT,
                request_id=_plain(response).get(self.request_id_header),
            ) from None

    async def _get_json(self, path: str, *, seconds: float | None = None) -> Any:
        http = self._build("GET", path, None)  # makes the loop's client: not part of the wait
        attempt = self._attempt("", seconds or self.health_timeout)
        return self._json_of(await self._exchange(http, attempt), "")

    async def complete(self, request: Request) -> Response:
        """Send one request and return the whole answer."""
        model = self._model(request)
        self._check_key(model)
        http = self._build("POST", self._path(request, False), self._body(request, False))
        attempt = self._attempt(model, request.timeout or self.timeout)
        started = self._clock()
        response = await self._exchange(http, attempt)
        data = self._json_of(response, model)
        try:
            return self._parse(data, _plain(response), self._clock() - started, request, model)
        except ProviderError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise self._fail(
                f"an answer this client cannot read ({type(exc).__name__}: {exc}): "
                f"{json.dumps(data)[:200]}",
                model,
                category=ErrorCategory.TRANSIENT,
                request_id=_plain(response).get(self.request_id_header),
            ) from exc

    async def stream(self, request: Request) -> AsyncIterator[Chunk]:
        """Send one request and yield its text as it arrives, ending with a ``done`` chunk."""
        model = self._model(request)
        self._check_key(model)
        http = self._build("POST", self._path(request, True), self._body(request, True))
        attempt = self._attempt(model, request.timeout or self.timeout)
        started = self._clock()
        response = await self._send(http, attempt)
        assembler = self._assembler(request, model)
        ttft: float | None = None
        try:
            async for chunk in self._chunks(response, assembler, attempt):
                if ttft is None and (chunk.text or chunk.reasoning):
                    ttft = self._clock() - started
                yield chunk
            elapsed = self._clock() - started
            try:
                final = assembler.finish(_plain(response), Timings(elapsed, ttft))
            except ProviderError:
                raise
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                raise self._fail(
                    _unreadable(exc),
                    model,
                    category=ErrorCategory.TRANSIENT,
                    delivered=assembler.delivered,
                ) from exc
            yield Chunk(response=final)
        finally:
            await response.aclose()

    async def _chunks(
        self,
        response: httpx.Response,
        assembler: StreamAssembler,
        attempt: Attempt,
    ) -> AsyncIterator[Chunk]:
        reads = response.aiter_bytes()
        while True:
            try:
                async with asyncio.timeout_at(attempt.deadline):
                    data = await anext(reads, b"")
                chunks = assembler.feed(data) if data else assembler.close()
            except (httpx.HTTPError, TimeoutError, OSError) as exc:
                raise self._transport_error(exc, attempt, assembler.delivered) from exc
            except (StreamFormatError, KeyError, TypeError, AttributeError, ValueError) as exc:
                # An event of the right syntax but the wrong shape is as broken as bad JSON.
                raise self._fail(
                    str(exc) if isinstance(exc, StreamFormatError) else _unreadable(exc),
                    attempt.model,
                    category=ErrorCategory.TRANSIENT,
                    delivered=assembler.delivered,
                ) from exc
            for chunk in chunks:
                assembler.delivered += len(chunk.text)
                yield chunk
            if not data:
                return


def _plain(response: httpx.Response) -> dict[str, str]:
    """The headers as a dict with lower-case names, made once per response.

    ``httpx.Headers`` decodes every header on each lookup; a provider reads several.
    """
    plain: dict[str, str] | None = response.extensions.get("powertools_headers")
    if plain is None:
        plain = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers.raw}
        response.extensions["powertools_headers"] = plain
    return plain


def _unreadable(exc: BaseException) -> str:
    return f"a stream event this client cannot read ({type(exc).__name__}: {exc})"


def _is_timeout(exc: BaseException) -> bool:
    """Whether a transport error is a timeout (the aiohttp transport maps a dropped
    connection to ``httpx.ConnectTimeout``: its cause tells the truth)."""
    if isinstance(exc, TimeoutError):
        return True
    if not isinstance(exc, httpx.TimeoutException):
        return False
    cause = exc.__cause__
    if cause is not None and type(cause).__module__.startswith("aiohttp"):
        return isinstance(cause, TimeoutError)  # aiohttp's timeouts are asyncio.TimeoutError
    return True


def describe(exc: BaseException) -> str:
    """``Type: message`` of a transport error, from aiohttp's own error when it is the cause
    (the aiohttp transport reports a refused connection as ``httpx.ConnectTimeout``)."""
    cause = exc.__cause__
    shown = cause if cause is not None and type(cause).__module__.startswith("aiohttp") else exc
    return f"{type(shown).__name__}: {str(shown) or type(shown).__name__}"

"""A fake provider server for tests: every family's wire format on one local port, with faults.

It speaks OpenAI chat completions (``/v1/chat/completions``), Anthropic Messages
(``/v1/messages``), Gemini (``/v1beta/models/{model}:generateContent`` and
``:streamGenerateContent?alt=sse``), Ollama (``/api/chat``, ``/api/tags``, ``/api/show``,
``/api/ps``, ``/api/version``) and llama.cpp (``/health``, ``/props``, ``/v1/models``; chat under
``/llamacpp/v1/chat/completions``), streamed or not, and answers what :meth:`reply` set.
:meth:`fail` queues faults: ``rate_limit`` (429 with each family's headers), ``overloaded``
(529), ``server_error`` (500), ``bad_gateway`` (502), ``unavailable`` (503), ``unauthorized``
(401), ``hang``, ``drop`` (connection closed before an answer), ``drop_mid_stream``,
``stall_mid_stream`` (some frames, then silence until the server stops),
``truncated_stream`` (a clean end without the final event), ``malformed_json``, ``empty_body``
and ``health_down``.

>>> import asyncio
>>> from powertools.router import Request
>>> from powertools.router.providers.openai import OpenAIProvider
>>> async def main():
...     async with FakeProviderServer() as server:
...         server.reply("Paris.")
...         provider = OpenAIProvider(base_url=server.base_url("openai"), api_key="sk-fake-000000")
...         first = await provider.complete(Request.of("Capital of France?", model="gpt-4o-mini"))
...         server.fail("rate_limit", retry_after=3)
...         try:
...             await provider.complete(Request.of("Again?", model="gpt-4o-mini"))
...         except Exception as exc:
...             return first.text, exc.category.value, exc.retry_after
>>> asyncio.run(main())
('Paris.', 'rate_limit', 3.0)
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args
from urllib.parse import unquote, urlsplit

from powertools.router._fake_clock import FakeClock
from powertools.router._fake_meta import LLAMACPP_MODEL, metadata
from powertools.router._fake_wire import Answer, Wire, error_body, rate_limit_headers

__all__ = ["Answer", "FakeClock", "FakeProviderServer", "Fault", "RecordedRequest"]

FaultKind = Literal[
    "rate_limit",
    "overloaded",
    "server_error",
    "bad_gateway",
    "unavailable",
    "unauthorized",
    "hang",
    "drop",
    "drop_mid_stream",
    "stall_mid_stream",
    "truncated_stream",
    "malformed_json",
    "empty_body",
    "health_down",
]
_STATUS = {
    "rate_limit": 429,
    "overloaded": 529,
    "server_error": 500,
    "bad_gateway": 502,
    "unavailable": 503,
    "unauthorized": 401,
}
_REASONS = {
    200: "OK",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    529: "Overloaded",
}
FAMILIES = ("openai", "anthropic", "gemini", "ollama", "llamacpp")
DEFAULT_OLLAMA_MODELS = ("llama3.2:3b", "qwen2.5-coder:7b")


@dataclass(slots=True, frozen=True)
class Fault:
    """One injected failure; ``family`` limits it to one family's endpoints."""

    kind: FaultKind
    family: str | None = None
    retry_after: float = 1.0
    after_chunks: int = 2


@dataclass(slots=True, frozen=True)
class RecordedRequest:
    """A request the server received, for assertions on what a provider sent."""

    family: str
    method: str
    path: str
    headers: Mapping[str, str]
    body: Any


@dataclass(slots=True)
class _Http:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes = b""
    path: str = field(init=False)
    query: str = field(init=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.target)
        self.path, self.query = unquote(parts.path), parts.query

    def json(self) -> Any:
        return json.loads(self.body) if self.body else {}


class FakeProviderServer:
    """The fake server; use ``async with`` (or :meth:`start_in_thread` from sync code)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        api_key: str | None = None,
        ollama_models: Sequence[str] = DEFAULT_OLLAMA_MODELS,
        record: bool = True,
    ) -> None:
        self.host, self.port = host, port
        self.api_key = api_key
        self.ollama_models = list(ollama_models)
        self.ollama_loaded: set[str] = set()
        self.llamacpp_loading = False
        self.record = record
        self.requests: list[RecordedRequest] = []
        self.answer = Answer()
        self._faults: deque[Fault] = deque()
        self._server: asyncio.Server | None = None
        self._stopping = asyncio.Event()
        self._calls = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self._thread: tuple[threading.Thread, asyncio.AbstractEventLoop] | None = None

    # -- the controls ------------------------------------------------------------------------

    def reply(
        self,
        text: str = "Hello from the fake server.",
        *,
        tool_calls: Sequence[tuple[str, Mapping[str, Any]]] = (),
        reasoning: str = "",
        cached_tokens: int = 0,
    ) -> None:
        """What every family answers from now on."""
        self.answer = Answer(text, tuple(tool_calls), reasoning, cached_tokens)

    def fail(
        self,
        kind: FaultKind,
        *,
        times: int = 1,
        family: str | None = None,
        retry_after: float = 1.0,
        after_chunks: int = 2,
    ) -> None:
        """Queue ``times`` faults of ``kind`` for the next calls (of ``family`` only, if given)."""
        if kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault {kind!r}; see FakeProviderServer's docstring")
        self._faults.extend([Fault(kind, family, retry_after, after_chunks)] * times)

    def clear(self) -> None:
        """Forget queued faults and recorded requests."""
        self._faults.clear()
        self.requests.clear()

    def base_url(self, family: str) -> str:
        """The base URL to give that family's provider."""
        root = f"http://{self.host}:{self.port}"
        return {
            "openai": f"{root}/v1",
            "openai-compatible": f"{root}/v1",
            "anthropic": root,
            "gemini": f"{root}/v1beta",
            "ollama": root,
            "llamacpp": f"{root}/llamacpp",
        }[family]

    # -- running -----------------------------------------------------------------------------

    async def start(self) -> FakeProviderServer:
        """Listen (on a free port when ``port`` is 0)."""
        self._stopping = asyncio.Event()
        self._server = await asyncio.start_server(
            self._connection, self.host, self.port, backlog=4096
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening and end every open connection (hung calls included)."""
        self._stopping.set()
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.transport.abort()
            await asyncio.gather(*self._handlers, return_exceptions=True)
            await self._server.wait_closed()

    async def __aenter__(self) -> FakeProviderServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def start_in_thread(self) -> FakeProviderServer:
        """Serve from a background thread (for sync tests); :meth:`stop_thread` ends it."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.start())
            ready.set()
            loop.run_forever()

        thread = threading.Thread(target=run, name="fake-provider-server", daemon=True)
        thread.start()
        ready.wait(10)
        self._thread = (thread, loop)
        return self

    def stop_thread(self) -> None:
        """Stop a server started with :meth:`start_in_thread`."""
        if self._thread is None:
            return
        thread, loop = self._thread
        asyncio.run_coroutine_threadsafe(self.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._thread = None

    # -- HTTP/1.1 ----------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            while not self._stopping.is_set():
                http = await _read_request(reader)
                if http is None:
                    break
                if not await self._handle(http, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._handlers.discard(task)
            writer.close()

    async def _handle(self, http: _Http, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; ``False`` closes the connection."""
        family = _family(http)
        if self.record:
            body = http.json() if http.body else None
            self.requests.append(
                RecordedRequest(family, http.method, http.target, http.headers, body)
            )
        fault = self._take_fault(family, health=_is_health(http.path))
        if fault is not None:
            return await self._fault(fault, family, http, writer)
        status, headers, payload = self._route(family, http)
        if isinstance(payload, list):
            return await _write_stream(writer, status, headers, payload, None)
        await _write(writer, status, headers, payload)
        return True

    def _take_fault(self, family: str, *, health: bool) -> Fault | None:
        for i, fault in enumerate(self._faults):
            if fault.family not in (None, family) or (fault.kind == "health_down") != health:
                continue
            del self._faults[i]
            return fault
        return None

    async def _fault(
        self, fault: Fault, family: str, http: _Http, writer: asyncio.StreamWriter
    ) -> bool:
        kind = fault.kind
        if kind in _STATUS or kind == "health_down":
            await _write(writer, *_fault_answer(fault, family))
            return True
        if kind == "hang":
            await self._stopping.wait()
        elif kind == "drop":
            writer.transport.abort()
        elif kind in ("malformed_json", "empty_body"):
            body = b'{"choices": [{"message": ' if kind == "malformed_json" else b""
            await _write(writer, 200, {}, body)
            return True
        else:
            status, headers, payload = self._route(family, http)
            frames = payload if isinstance(payload, list) else [payload]
            if kind == "truncated_stream":
                return await _write_stream(writer, status, headers, frames[:-1], None)
            stall = self._stopping if kind == "stall_mid_stream" else None
            return await _write_stream(writer, status, headers, frames, fault.after_chunks, stall)
        return False

    # -- the families ------------------------------------------------------------------------

    def _unauthorized(self, family: str, http: _Http) -> tuple[int, dict[str, str], bytes] | None:
        if self.api_key is None or family in ("ollama", "llamacpp"):
            return None
        sent = (
            http.headers.get("x-api-key")
            or http.headers.get("x-goog-api-key")
            or http.headers.get("authorization", "").removeprefix("Bearer ")
        )
        if sent == self.api_key:
            return None
        # Real APIs echo part of a wrong key; this one echoes all of it, to test the masking.
        message = f"Incorrect API key provided: {sent}"
        return 401, {}, error_body(family, 401, message, None)

    def _route(self, family: str, http: _Http) -> tuple[int, dict[str, str], bytes | list[bytes]]:
        denied = self._unauthorized(family, http)
        if denied is not None:
            return denied
        if http.method == "GET" or http.path == "/api/show":
            return self._metadata(family, http)
        self._calls += 1
        chat = {
            "gemini": self._gemini_chat,
            "ollama": self._ollama_chat,
            "anthropic": self._anthropic_chat,
        }.get(family, self._openai_chat)
        return chat(family, http)

    def _gemini_chat(self, family: str, http: _Http) -> tuple[int, dict[str, str], Any]:
        body = http.json()
        model = http.path.rsplit("/", 1)[-1].split(":")[0]
        limit = (body.get("generationConfig") or {}).get("maxOutputTokens")
        wire = self._wire(family, model, body, limit)
        if http.path.endswith(":streamGenerateContent"):
            return 200, {"content-type": "text/event-stream"}, wire.gemini_stream()
        return 200, {}, json.dumps(wire.gemini()).encode()

    def _anthropic_chat(self, family: str, http: _Http) -> tuple[int, dict[str, str], Any]:
        body = http.json()
        wire = self._wire(family, str(body.get("model", "")), body, body.get("max_tokens"))
        rid = {"request-id": f"req_fake_{self._calls}"}
        if body.get("stream"):
            return 200, {"content-type": "text/event-stream", **rid}, wire.anthropic_stream()
        return 200, rid, json.dumps(wire.anthropic()).encode()

    def _openai_chat(self, family: str, http: _Http) -> tuple[int, dict[str, str], Any]:
        body = http.json()
        max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
        model = LLAMACPP_MODEL if family == "llamacpp" else str(body.get("model", ""))
        wire = self._wire(family, model, body, max_tokens)
        rid = {"x-request-id": f"req_fake_{self._calls}"}
        if body.get("stream"):
            usage = bool((body.get("stream_options") or {}).get("include_usage"))
            return 200, {"content-type": "text/event-stream", **rid}, wire.openai_stream(usage)
        return 200, rid, json.dumps(wire.openai()).encode()

    def _wire(self, family: str, model: str, body: Any, max_tokens: Any) -> Wire:
        prompt = max(1, len(json.dumps(body.get("messages") or body.get("contents") or body)) // 4)
        limit = max_tokens if isinstance(max_tokens, int) else None
        return Wire(family, model, self.answer, prompt, limit, self._calls)

    def _ollama_chat(self, family: str, http: _Http) -> tuple[int, dict[str, str], Any]:
        body = http.json()
        model = str(body.get("model", ""))
        if model not in self.ollama_models:
            message = f'model "{model}" not found, try pulling it first'
            return 404, {}, error_body("ollama", 404, message, None)
        self.ollama_loaded.add(model)
        wire = self._wire("ollama", model, body, (body.get("options") or {}).get("num_predict"))
        if body.get("stream", True):
            return 200, {"content-type": "application/x-ndjson"}, wire.ollama_stream()
        return 200, {}, json.dumps(wire.ollama()).encode()

    def _metadata(self, family: str, http: _Http) -> tuple[int, dict[str, str], bytes]:
        return metadata(self, family, http.method, http.path, http.json() if http.body else {})


def _fault_answer(fault: Fault, family: str) -> tuple[int, dict[str, str], bytes]:
    # A failing health check; llama.cpp's 503 means "loading", so it fails with 500.
    status = _STATUS.get(fault.kind, 500 if family == "llamacpp" else 503)
    headers = rate_limit_headers(family, fault.retry_after) if status == 429 else {}
    if status in (503, 529) and fault.kind != "health_down":
        headers = {"retry-after": str(fault.retry_after)}
    return status, headers, error_body(family, status, f"fake {fault.kind}", fault.retry_after)


def _family(http: _Http) -> str:
    """Which family a request is for; llama.cpp's paths are moved under ``/llamacpp``."""
    if http.path.startswith("/llamacpp"):
        http.path = http.path.removeprefix("/llamacpp") or "/"
        return "llamacpp"
    if http.path.startswith("/api/"):
        return "ollama"
    if http.path.startswith("/v1beta"):
        return "gemini"
    if "anthropic-version" in http.headers:
        return "anthropic"
    return "openai"


def _is_health(path: str) -> bool:
    return path.endswith(("/health", "/models", "/api/version"))


async def _read_request(reader: asyncio.StreamReader) -> _Http | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    body = await reader.readexactly(length) if length else b""
    return _Http(method, target, headers, body)


def _head(status: int, headers: Mapping[str, str], extra: str) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}"]
    if "content-type" not in headers:
        lines.append("content-type: application/json")
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append(extra)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _write(
    writer: asyncio.StreamWriter, status: int, headers: Mapping[str, str], body: bytes
) -> None:
    writer.write(_head(status, headers, f"content-length: {len(body)}") + body)
    await writer.drain()


async def _write_stream(  # noqa: PLR0917 - one private call site per fault
    writer: asyncio.StreamWriter,
    status: int,
    headers: Mapping[str, str],
    frames: Sequence[bytes],
    drop_after: int | None,
    stall: asyncio.Event | None = None,
) -> bool:
    """Frames as chunks of a chunked body; ``drop_after`` frames, then the connection dies
    (or, with ``stall``, goes silent until that event is set)."""
    if not frames or status != 200:
        await _write(writer, status, headers, b"".join(frames))
        return True
    writer.write(_head(status, headers, "transfer-encoding: chunked"))
    for i, frame in enumerate(frames):
        if drop_after is not None and i >= drop_after:
            await writer.drain()
            if stall is not None:
                await stall.wait()
            writer.transport.abort()
            return False
        writer.write(b"%x\r\n%s\r\n" % (len(frame), frame))
        await writer.drain()
    writer.write(b"0\r\n\r\n")
    await writer.drain()
    return True


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m powertools.router.testing [--port N]``: serve until interrupted."""
    import argparse

    parser = argparse.ArgumentParser(description="A fake LLM provider server for tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    args = parser.parse_args(argv)

    async def serve() -> None:
        server = await FakeProviderServer(args.host, args.port, record=False).start()
        print(f"fake provider server on http://{server.host}:{server.port}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()

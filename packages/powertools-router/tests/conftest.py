"""Fixtures for the router's tests: the fake provider server, a recording mock transport, and a
provider that fails exactly as scripted (for the engine's failover tests)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from powertools.cost import Usage
from powertools.router import (
    Capabilities,
    Chunk,
    Health,
    HealthStatus,
    ModelInfo,
    ProviderError,
    Request,
    Response,
    Timings,
)
from powertools.router.testing import FakeProviderServer


@pytest.fixture
async def fake_server() -> AsyncIterator[FakeProviderServer]:
    async with FakeProviderServer(api_key="sk-fake-secret-key-000000000000") as server:
        yield server


class Recorder:
    """A mock transport answering every request with one canned answer, keeping the requests."""

    def __init__(
        self,
        body: Any = None,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        stream: bytes | list[bytes] | None = None,
    ) -> None:
        self.requests: list[httpx.Request] = []
        self.body, self.status, self.headers, self.stream = body, status, headers or {}, stream
        self.client = httpx.AsyncClient(transport=httpx.MockTransport(self._answer))

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if isinstance(self.stream, list):  # one network read per item
            return httpx.Response(self.status, headers=self.headers, content=_pieces(self.stream))
        if self.stream is not None:
            return httpx.Response(self.status, headers=self.headers, content=self.stream)
        content = self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()
        return httpx.Response(self.status, headers=self.headers, content=content)

    @property
    def sent(self) -> Any:
        """The JSON body of the last request."""
        return json.loads(self.requests[-1].content)


async def _pieces(pieces: list[bytes]) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


@pytest.fixture
def recorder() -> Callable[..., Recorder]:
    return Recorder


@dataclass
class Scripted:
    """A provider whose every call takes the next step of ``script`` (then answers ``ok``).

    A step is ``"ok"``, ``"hang"``, an HTTP status (``429``, ``503``, ``401``...), or
    ``("drop", n)``: a stream that fails after ``n`` chunks.
    """

    name: str
    models_: list[ModelInfo]
    script: list[object] = field(default_factory=list)
    local: bool = False
    retry_after: float | None = None
    calls: list[str] = field(default_factory=list)
    text: str = "the answer"

    async def models(self) -> list[ModelInfo]:
        return list(self.models_)

    async def health(self) -> Health:
        return Health(HealthStatus.OK)

    async def aclose(self) -> None:
        return None

    def _step(self, request: Request) -> object:
        self.calls.append(request.model)
        return self.script.pop(0) if self.script else "ok"

    def _response(self, request: Request) -> Response:
        return Response(
            self.text,
            self.name,
            request.model,
            Usage(input=100, output=50),
            timings=Timings(total=0.5, ttft=0.1, output_tokens_per_second=100.0),
        )

    async def _fail(self, step: object, request: Request) -> None:
        if step == "hang":
            await asyncio.Event().wait()
        if isinstance(step, int):
            raise ProviderError(
                f"scripted HTTP {step}",
                provider=self.name,
                model=request.model,
                status_code=step,
                retry_after=self.retry_after,
            )

    async def complete(self, request: Request) -> Response:
        step = self._step(request)
        await self._fail(step, request)
        return self._response(request)

    async def _stream(self, request: Request) -> AsyncIterator[Chunk]:
        step = self._step(request)
        await self._fail(step, request)
        drop_after = step[1] if isinstance(step, tuple) else None
        for i, word in enumerate(self.text.split()):
            if drop_after is not None and i >= drop_after:
                raise ProviderError(
                    "connection dropped",
                    provider=self.name,
                    model=request.model,
                    delivered_chars=i,
                )
            yield Chunk(text=word + " ")
        yield Chunk(response=self._response(request))

    def stream(self, request: Request) -> AsyncIterator[Chunk]:
        return self._stream(request)


def info(
    provider: str,
    model: str,
    *,
    local: bool = False,
    context: int = 128_000,
    tools: bool = True,
) -> ModelInfo:
    return ModelInfo(
        model,
        provider,
        local=local,
        context_window=context,
        max_output=16_000,
        capabilities=Capabilities(tools=tools, vision=False, json_schema=True),
    )


@pytest.fixture
def scripted() -> Callable[..., Scripted]:
    """``scripted("openai", ["gpt-4o-mini"], script=[503])``."""

    def make(name: str, models: list[str], **options: object) -> Scripted:
        local = bool(options.get("local", False))
        return Scripted(name, [info(name, m, local=local) for m in models], **options)  # type: ignore[arg-type]

    return make

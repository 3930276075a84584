"""Fixtures for the router's tests: the fake provider server and a recording mock transport."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

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

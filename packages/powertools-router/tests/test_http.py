"""The HTTP base every family shares: settings checked early, failures read whatever the body."""

from __future__ import annotations

import httpx
import pytest

from powertools.retry import ErrorCategory
from powertools.router import ConfigurationError, ProviderError, Request
from powertools.router.providers.openai import OpenAIProvider

KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz"


def provider(client: httpx.AsyncClient | None = None, **options) -> OpenAIProvider:
    return OpenAIProvider(api_key=KEY, client=client, **options)


def raising(exc: Exception) -> httpx.AsyncClient:
    def answer(request: httpx.Request) -> httpx.Response:
        raise exc

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


@pytest.mark.parametrize(("timeout", "health_timeout"), [(0, 2.0), (120.0, -1.0)])
def test_a_timeout_that_is_not_positive_is_refused(timeout, health_timeout) -> None:
    with pytest.raises(ConfigurationError, match="must be positive seconds"):
        provider(timeout=timeout, health_timeout=health_timeout)


def test_a_base_url_without_its_scheme_is_refused_with_the_fix() -> None:
    with pytest.raises(ConfigurationError, match=r"'localhost:8000/v1' must start with http://"):
        provider(base_url="localhost:8000/v1")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html><body>502 Bad Gateway</body></html>", "<html><body>502 Bad Gateway</body></html>"),
        (b"", "the server sent no error body"),
        (b"   \n", "the server sent no error body"),
        (b'["upstream", "down"]', '["upstream", "down"]'),
        (b'{"error": "model overloaded"}', "model overloaded"),
    ],
)
async def test_an_error_status_reads_whatever_body_came_with_it(recorder, body, message) -> None:
    rec = recorder(body, status=502)
    with pytest.raises(ProviderError) as caught:
        await provider(rec.client).complete(Request.of("x", model="gpt-4o"))
    assert caught.value.message == message
    assert caught.value.status_code == 502
    assert caught.value.category is ErrorCategory.TRANSIENT


async def test_an_error_status_on_a_stream_fails_before_any_chunk_with_its_wait(recorder) -> None:
    rec = recorder(
        {"error": {"message": "Rate limit reached", "type": "requests"}},
        status=429,
        headers={"retry-after": "7", "x-request-id": "req_42"},
    )
    seen = []

    async def read() -> None:
        async for chunk in provider(rec.client).stream(Request.of("x", model="gpt-4o")):
            seen.append(chunk)

    with pytest.raises(ProviderError, match=r"Rate limit reached \(requests\)") as caught:
        await read()
    assert seen == []
    assert caught.value.category is ErrorCategory.RATE_LIMIT
    assert caught.value.retry_after == 7.0
    assert caught.value.request_id == "req_42"
    assert caught.value.delivered_chars == 0


async def test_an_answer_of_the_wrong_shape_is_a_transient_error_naming_it(recorder) -> None:
    rec = recorder({"id": "chatcmpl-1", "choices": []}, headers={"x-request-id": "req_7"})
    with pytest.raises(ProviderError, match=r"an answer this client cannot read \(IndexError") as e:
        await provider(rec.client).complete(Request.of("x", model="gpt-4o"))
    assert e.value.category is ErrorCategory.TRANSIENT
    assert e.value.request_id == "req_7"
    assert '"choices": []' in e.value.message


async def test_a_read_timeout_of_the_transport_is_a_timeout_error() -> None:
    client = raising(httpx.ReadTimeout("timed out"))
    with pytest.raises(ProviderError, match=r"within the attempt timeout of 3\.0 s") as caught:
        await provider(client).complete(Request.of("x", model="gpt-4o", timeout=3.0))
    assert caught.value.category is ErrorCategory.TIMEOUT


async def test_a_refused_connection_is_transient_and_names_the_url() -> None:
    client = raising(httpx.ConnectError("[Errno 111] Connection refused"))
    with pytest.raises(ProviderError) as caught:
        await provider(client, base_url="http://127.0.0.1:9/v1").complete(
            Request.of("x", model="gpt-4o")
        )
    assert caught.value.category is ErrorCategory.TRANSIENT
    assert caught.value.message.startswith(
        "the connection to http://127.0.0.1:9/v1 failed "
        "(ConnectError: [Errno 111] Connection refused)"
    )

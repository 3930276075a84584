"""llama.cpp: its chat with timings, /health with the loading state, /v1/models and /props."""

from __future__ import annotations

import httpx
import pytest

from powertools.cost import Usage
from powertools.router import HealthStatus, ProviderError, Request
from powertools.router.providers.llamacpp import LlamaCppProvider

DOC_RESPONSE = {
    "choices": [
        {
            "finish_reason": "stop",
            "index": 0,
            "message": {"role": "assistant", "content": "Once upon"},
        }
    ],
    "created": 1730000000,
    "model": "gpt-3.5-turbo",
    "system_fingerprint": "b6000-abc",
    "object": "chat.completion",
    "usage": {"completion_tokens": 10, "prompt_tokens": 30, "total_tokens": 40},
    "id": "chatcmpl-xyz",
    "timings": {
        "cache_n": 10,
        "prompt_n": 20,
        "prompt_ms": 12.5,
        "prompt_per_token_ms": 0.6,
        "prompt_per_second": 1600.0,
        "predicted_n": 10,
        "predicted_ms": 50.0,
        "predicted_per_token_ms": 5.0,
        "predicted_per_second": 200.0,
    },
}


def test_base_url_variable_and_default(monkeypatch) -> None:
    monkeypatch.delenv("LLAMACPP_BASE_URL", raising=False)
    assert LlamaCppProvider().base_url == "http://127.0.0.1:8080"
    monkeypatch.setenv("LLAMACPP_BASE_URL", "http://gpu:8081/")
    assert LlamaCppProvider().base_url == "http://gpu:8081"


async def test_answer_with_timings(recorder) -> None:
    rec = recorder(DOC_RESPONSE)
    response = await LlamaCppProvider(client=rec.client).complete(Request.of("x", max_tokens=10))
    assert str(rec.requests[-1].url) == "http://127.0.0.1:8080/v1/chat/completions"
    assert rec.sent["max_tokens"] == 10
    assert response.usage == Usage(input=20, cache_read=10, output=10)
    assert response.timings.ttft == pytest.approx(0.0125)
    assert response.timings.output_tokens_per_second == 200.0


async def test_health_states(fake_server) -> None:
    p = LlamaCppProvider(base_url=fake_server.base_url("llamacpp"))
    assert (await p.health()).status is HealthStatus.OK
    fake_server.llamacpp_loading = True
    loading = await p.health()
    assert loading.status is HealthStatus.LOADING
    assert not loading.ok
    fake_server.llamacpp_loading = False
    fake_server.fail("health_down")
    assert (await p.health()).status is HealthStatus.DOWN
    dead = LlamaCppProvider(base_url="http://127.0.0.1:9", health_timeout=0.5)
    assert (await dead.health()).status is HealthStatus.DOWN


async def test_models_with_context_size_from_props(fake_server) -> None:
    p = LlamaCppProvider(base_url=fake_server.base_url("llamacpp"))
    [model] = await p.models()
    assert (model.id, model.context_window, model.local, model.loaded) == (
        "fake-model.gguf",
        4096,
        True,
        True,
    )
    assert model.parameter_count == 260_000


def serving(routes: dict[str, tuple[int, object]]) -> httpx.AsyncClient:
    """A client whose every path answers its (status, JSON body) from ``routes``."""

    def answer(request: httpx.Request) -> httpx.Response:
        status, body = routes.get(request.url.path, (404, {"error": "not found"}))
        return httpx.Response(status, json=body)

    return httpx.AsyncClient(transport=httpx.MockTransport(answer))


async def test_an_answer_without_usage_or_timings_has_no_usage(recorder) -> None:
    bare = {k: v for k, v in DOC_RESPONSE.items() if k not in ("usage", "timings")}
    response = await LlamaCppProvider(client=recorder(bare).client).complete(Request.of("x"))
    assert response.text == "Once upon"
    assert response.usage == Usage()
    assert response.timings.ttft is None


async def test_an_older_server_without_props_lists_its_model_with_the_trained_context() -> None:
    client = serving(
        {"/v1/models": (200, {"data": [{"id": "old.gguf", "meta": {"n_ctx_train": 2048}}]})}
    )
    [model] = await LlamaCppProvider(client=client).models()
    assert (model.id, model.context_window, model.capabilities.vision) == ("old.gguf", 2048, False)


async def test_props_that_are_not_an_object_are_an_error() -> None:
    client = serving({"/props": (200, ["not", "an", "object"])})
    with pytest.raises(ProviderError, match=r"/props answered .* not an object"):
        await LlamaCppProvider(client=client).props()

"""The llama.cpp family and the local model manager against a real ``llama-server``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from powertools.router import HealthStatus, LocalModelManager, Request
from powertools.router.providers.llamacpp import LlamaCppProvider
from powertools_testkit import _llama
from powertools_testkit._processes import ManagedProcess, free_port

pytestmark = pytest.mark.integration


async def test_health_models_and_context_size(llama_server: str) -> None:
    provider = LlamaCppProvider(base_url=llama_server)
    assert (await provider.health()).status is HealthStatus.OK
    [model] = await provider.models()
    assert model.id.endswith("stories260K.gguf")
    assert model.context_window == 256  # the fixture's -c 256, read from /props
    assert model.local
    assert model.parameter_count
    assert model.size_bytes


async def test_a_completion_with_usage_and_timings(llama_server: str) -> None:
    provider = LlamaCppProvider(base_url=llama_server)
    response = await provider.complete(Request.of("Once upon a time", max_tokens=8, timeout=60))
    assert response.text
    assert response.finish_reason in ("length", "stop")
    assert 0 < response.usage.output <= 8
    assert response.usage.prompt_tokens > 0
    assert response.timings.ttft is not None
    assert response.timings.output_tokens_per_second
    assert response.timings.total > 0
    assert response.model.endswith("stories260K.gguf")


async def test_a_stream_with_the_final_usage(llama_server: str) -> None:
    provider = LlamaCppProvider(base_url=llama_server)
    prompt = "Once upon a time there was a little dog"
    await provider.complete(Request.of(prompt, max_tokens=1, timeout=60))  # warm the prompt cache
    chunks = [c async for c in provider.stream(Request.of(prompt, max_tokens=6, timeout=60))]
    final = chunks[-1].response
    assert final is not None
    assert final.text == "".join(c.text for c in chunks[:-1])
    assert 0 < final.usage.output <= 6
    # the second call reuses the cached prompt: llama.cpp reports it as cache_n
    assert final.usage.cache_read > 0
    assert final.usage.prompt_tokens == final.usage.input + final.usage.cache_read
    assert final.timings.ttft is not None


async def test_the_manager_discovers_the_real_server(llama_server: str) -> None:
    manager = LocalModelManager([LlamaCppProvider(base_url=llama_server)], ttl=60)
    await manager.check()
    [model] = await manager.discover()
    assert model.context_window == 256
    assert manager.states()[0].up


async def test_a_starting_server_goes_down_then_loading_or_ok_never_back(tmp_path: Path) -> None:
    """Health while the server starts: down (no socket), maybe loading (503), then ok."""
    port = free_port()
    command = _llama.llama_server_command(Path(__file__).parent.parent, port)
    provider = LlamaCppProvider(base_url=f"http://127.0.0.1:{port}", health_timeout=0.5)
    assert (await provider.health()).status is HealthStatus.DOWN
    process = ManagedProcess(command, log=tmp_path / "llama.log")
    seen: list[HealthStatus] = []
    try:
        async with asyncio.timeout(120):
            while not seen or seen[-1] is not HealthStatus.OK:
                seen.append((await provider.health()).status)
                await asyncio.sleep(0.005)
    finally:
        process.stop()
    first_answer = next(i for i, s in enumerate(seen) if s is not HealthStatus.DOWN)
    assert all(s is not HealthStatus.DOWN for s in seen[first_answer:])
    assert set(seen[first_answer:]) <= {HealthStatus.LOADING, HealthStatus.OK}

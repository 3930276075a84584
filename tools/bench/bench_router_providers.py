"""powertools.router's providers against bare httpx, the openai SDK and LiteLLM.

Run: ``uv run --group bench python tools/bench/bench_router_providers.py`` (a few minutes).

Against one local fake provider server (``python -m powertools.router.testing``, in its own
process), in one run:

* 1,000 concurrent non-streamed chat completions: our OpenAI provider, a bare
  ``httpx.AsyncClient`` (its default pool, and with 1,000 connections), the ``openai`` SDK and
  ``litellm.acompletion``; wall time and errors, best of ``ROUNDS``.
* the per-call overhead of the provider layer over a bare pooled request on the same client,
  without a network (an ``httpx.MockTransport`` answering a documented completion), and of
  LiteLLM over a bare request against the server (sequential calls, paired medians);
* the parsing cost per streamed chunk of each family's stream assembler.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no fetch of LiteLLM's prices

import httpx

from powertools.router import Request, Timings
from powertools.router._fake_wire import Answer, Wire
from powertools.router._transport import Pool, transport_name
from powertools.router.providers._json import FAST
from powertools.router.providers.anthropic import AnthropicProvider
from powertools.router.providers.gemini import GeminiProvider
from powertools.router.providers.ollama import OllamaProvider
from powertools.router.providers.openai import OpenAIProvider

PORT = int(os.environ.get("BENCH_FAKE_PORT", "18765"))
ROOT = f"http://127.0.0.1:{PORT}"
KEY = "sk-bench-0000000000000000"
CONCURRENT = 1000
ROUNDS = 2
CAP = 60.0  # seconds; a client slower than this on one round is reported as "> CAP"
BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hi."}]}


def start_server() -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [sys.executable, "-m", "powertools.router.testing", "--port", str(PORT)],
        stdout=subprocess.PIPE,
    )
    assert server.stdout is not None
    server.stdout.readline()  # "fake provider server on ..."
    return server


async def concurrently(call: Callable[[], Awaitable[Any]]) -> tuple[float, int]:
    """Seconds for ``CONCURRENT`` calls at once, and how many failed."""
    started = time.perf_counter()
    results = await asyncio.gather(*(call() for _ in range(CONCURRENT)), return_exceptions=True)
    return time.perf_counter() - started, sum(isinstance(r, BaseException) for r in results)


async def best_of(call: Callable[[], Awaitable[Any]]) -> tuple[float, int]:
    """The best of a warm-up and ``ROUNDS`` rounds; ``inf`` when one round passes ``CAP``."""
    runs = []
    for _ in range(ROUNDS + 1):
        try:
            async with asyncio.timeout(CAP):
                runs.append(await concurrently(call))
        except TimeoutError:
            return float("inf"), CONCURRENT
    return min(t for t, _ in runs), max(e for _, e in runs)


async def thousand_calls() -> dict[str, tuple[float, int]]:
    out: dict[str, tuple[float, int]] = {}
    provider = OpenAIProvider(base_url=f"{ROOT}/v1", api_key=KEY, pool=Pool())
    request = Request.of("Say hi.", model="gpt-4o-mini")
    out[f"powertools OpenAIProvider ({transport_name()})"] = await best_of(
        lambda: provider.complete(request)
    )
    await provider.aclose()
    for label, limits in (
        ("bare httpx.AsyncClient (default pool)", httpx.Limits()),
        ("bare httpx.AsyncClient (1,000 connections)", httpx.Limits(max_connections=1000)),
    ):
        async with httpx.AsyncClient(limits=limits, timeout=120) as client:

            async def bare(client: httpx.AsyncClient = client) -> Any:
                response = await client.post(f"{ROOT}/v1/chat/completions", json=BODY)
                response.raise_for_status()
                return response.json()

            out[label] = await best_of(bare)
    out.update(await peers())
    return out


def litellm_call() -> Awaitable[Any]:
    """One ``litellm.acompletion`` against the fake server."""
    import litellm

    return litellm.acompletion(  # type: ignore[no-any-return]
        model="openai/gpt-4o-mini",
        messages=BODY["messages"],
        api_base=f"{ROOT}/v1",
        api_key=KEY,
        timeout=120,
        num_retries=0,
    )


async def peers() -> dict[str, tuple[float, int]]:
    out: dict[str, tuple[float, int]] = {}
    try:
        import openai
    except ImportError:
        print("openai is not installed: skipped")
    else:
        sdk = openai.AsyncOpenAI(api_key=KEY, base_url=f"{ROOT}/v1", max_retries=0, timeout=120)
        out[f"openai SDK {openai.__version__}"] = await best_of(
            lambda: sdk.chat.completions.create(model="gpt-4o-mini", messages=BODY["messages"])
        )
        await sdk.close()
    if importlib.util.find_spec("litellm") is None:
        print("litellm is not installed: skipped")
    else:
        out["litellm.acompletion"] = await best_of(litellm_call)
    return out


def paired_overhead_us(
    bare: Callable[[], Awaitable[Any]], ours: Callable[[], Awaitable[Any]], calls: int, repeats: int
) -> float:
    """Median over paired runs of the extra microseconds per call of ``ours`` over ``bare``."""

    async def timed(call: Callable[[], Awaitable[Any]]) -> float:
        started = time.perf_counter()
        for _ in range(calls):
            await call()
        return time.perf_counter() - started

    async def pairs() -> list[float]:
        await timed(bare)
        await timed(ours)
        return [((await timed(ours)) - (await timed(bare))) / calls * 1e6 for _ in range(repeats)]

    return statistics.median(asyncio.run(pairs()))


DOC_COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1741570283,
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hi!"}, "finish_reason": "stop"}
    ],
    "usage": {
        "prompt_tokens": 9,
        "completion_tokens": 2,
        "total_tokens": 11,
        "prompt_tokens_details": {"cached_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0},
    },
}


def layer_overhead_us() -> float:
    """Our provider over a bare request, both on one client whose transport answers at once."""
    answer = json.dumps(DOC_COMPLETION).encode()
    headers = {"content-type": "application/json", "x-request-id": "req_1"}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, content=answer)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    provider = OpenAIProvider(base_url="http://bench/v1", api_key=KEY, client=client)
    request = Request.of("Say hi.", model="gpt-4o-mini")

    async def bare() -> Any:
        response = await client.post(
            "http://bench/v1/chat/completions", json=BODY, headers={"authorization": "Bearer x"}
        )
        return response.json()

    return paired_overhead_us(bare, lambda: provider.complete(request), calls=2000, repeats=7)


def litellm_overhead_us() -> float | None:
    """LiteLLM over a bare pooled request, both against the fake server, one call at a time."""
    if importlib.util.find_spec("litellm") is None:
        return None
    client = httpx.AsyncClient()

    async def bare() -> Any:
        response = await client.post(f"{ROOT}/v1/chat/completions", json=BODY)
        return response.json()

    return paired_overhead_us(bare, litellm_call, calls=100, repeats=5)


def per_chunk_us() -> dict[str, float]:
    """Parsing and assembly cost per streamed chunk, per family (no network)."""
    text = " ".join(f"word{i}" for i in range(400))
    wire = Wire("openai", "m", Answer(text), 50, None, 1)
    streams: dict[str, tuple[Any, list[bytes]]] = {
        "openai": (OpenAIProvider(api_key=KEY), wire.openai_stream(True)),
        "anthropic": (AnthropicProvider(api_key=KEY), wire.anthropic_stream()),
        "gemini": (GeminiProvider(api_key=KEY), wire.gemini_stream()),
        "ollama": (OllamaProvider(), wire.ollama_stream()),
    }
    out = {}
    request = Request.of("x", model="m")
    for family, (provider, frames) in streams.items():
        runs = []
        for _ in range(7):
            assembler = provider._assembler(request, "m")
            started = time.perf_counter()
            for frame in frames:
                assembler.feed(frame)
            assembler.finish({}, Timings(1.0))
            runs.append((time.perf_counter() - started) / len(frames) * 1e6)
        out[family] = statistics.median(runs)
    return out


def main() -> None:
    server = start_server()
    try:
        print(f"# {CONCURRENT} concurrent non-streamed calls to a local fake server", flush=True)
        for label, (seconds, errors) in asyncio.run(thousand_calls()).items():
            shown = f"{seconds:7.2f} s" if seconds != float("inf") else f"> {CAP:.0f} s"
            print(f"  {label:45s} {shown}   errors {errors}", flush=True)
        codec = "orjson ([fast] extra)" if FAST else "the standard library's json"
        print(f"# per-call overhead over a bare pooled request (the provider's JSON: {codec})")
        print(f"  powertools provider layer (no network)        {layer_overhead_us():7.1f} us")
        lite = litellm_overhead_us()
        if lite is not None:
            print(f"  litellm.acompletion (against the server)      {lite:7.1f} us")
        print("# parsing and assembly per streamed chunk")
        for family, us in per_chunk_us().items():
            print(f"  {family:45s} {us:7.2f} us")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()

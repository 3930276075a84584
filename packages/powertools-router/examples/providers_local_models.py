"""Discover local models and watch a server go away and come back."""

import asyncio

from powertools.router import LocalModelManager
from powertools.router.providers.llamacpp import LlamaCppProvider
from powertools.router.providers.ollama import OllamaProvider
from powertools.router.testing import FakeProviderServer


async def main() -> None:
    server = await FakeProviderServer().start()
    manager = LocalModelManager(
        [
            OllamaProvider(base_url=server.base_url("ollama")),
            LlamaCppProvider(base_url=server.base_url("llamacpp")),
        ],
        ttl=60,
        health_interval=5,
    )
    await manager.check()
    for model in await manager.discover():
        print(f"{model.provider:8s} {model.id:18s} context {model.context_window}")

    await server.stop()
    await manager.check()
    print("after stop:", [s.health.status.value for s in manager.states()])

    server = await FakeProviderServer(port=server.port).start()
    await manager.check()
    print("after restart:", [s.health.status.value for s in manager.states()])
    await server.stop()


asyncio.run(main())

"""Stream an answer, and see what a failure mid-stream tells a router."""

import asyncio

from powertools.router import Request, StreamInterruptedError
from powertools.router.providers.ollama import OllamaProvider
from powertools.router.testing import FakeProviderServer


async def main() -> None:
    async with FakeProviderServer() as server:
        server.reply("Once upon a time there was a tiny model.")
        ollama = OllamaProvider(base_url=server.base_url("ollama"))
        request = Request.of("Tell me a story.", model="llama3.2:3b")
        async for chunk in ollama.stream(request):
            if chunk.done:
                print(f"\n[{chunk.response.finish_reason}] {chunk.response.usage.output} tokens")
            else:
                print(chunk.text, end="")

        server.fail("drop_mid_stream", after_chunks=3)
        try:
            async for _chunk in ollama.stream(request):
                pass
        except StreamInterruptedError as error:
            print(f"dropped after {error.delivered_chars} characters reached the caller")


asyncio.run(main())

"""Call two provider families against the fake provider server, then inject a rate limit."""

import asyncio

from powertools.router import ProviderError, Request
from powertools.router.providers.anthropic import AnthropicProvider
from powertools.router.providers.openai import OpenAIProvider
from powertools.router.testing import FakeProviderServer


async def main() -> None:
    async with FakeProviderServer() as server:
        server.reply("Paris is the capital of France.")
        openai = OpenAIProvider(base_url=server.base_url("openai"), api_key="sk-test-0000000000")
        claude = AnthropicProvider(
            base_url=server.base_url("anthropic"), api_key="sk-ant-test-0000000000"
        )
        request = Request.of("What is the capital of France?", max_tokens=50)
        for provider, model in ((openai, "gpt-4o-mini"), (claude, "claude-haiku-4-5")):
            response = await provider.complete(request.with_model(model))
            print(f"{response.provider}: {response.text} ({response.usage.output} tokens)")

        server.fail("rate_limit", retry_after=2)
        try:
            await openai.complete(request.with_model("gpt-4o-mini"))
        except ProviderError as error:
            print(f"{error.category.value}, retry after {error.retry_after} s")


asyncio.run(main())

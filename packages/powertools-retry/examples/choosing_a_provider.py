"""One named breaker per provider and model, driven by hand, the way a router uses them."""

from __future__ import annotations

import asyncio
import time

from powertools.retry import CircuitBreaker, CircuitOpenError, classify, retry_after


class HTTPStatusError(Exception):
    """Stands in for httpx's error: a status code and the response's headers."""

    def __init__(self, status_code: int, headers: dict[str, str]) -> None:
        super().__init__(f"HTTP {status_code}")
        self.status_code = status_code
        self.headers = headers


async def send(provider: str, prompt: str) -> str:
    if provider == "openai:gpt-4o":
        raise HTTPStatusError(503, {"retry-after": "2"})  # overloaded today
    return f"{provider} answers {prompt!r}"


def breaker_for(provider: str) -> CircuitBreaker:
    # Every caller of one provider gets the same breaker (and, with storage=, one shared state).
    return CircuitBreaker.named(provider, failure_threshold=2, recovery_timeout=30)


async def attempt(provider: str, prompt: str) -> str | None:
    breaker = breaker_for(provider)
    admission = await breaker.aadmit()  # raises CircuitOpenError if it lost a race
    start = time.monotonic()
    try:
        answer = await send(provider, prompt)
    except Exception as exc:
        await breaker.asettle(admission, exc, time.monotonic() - start)
        print(f"{provider}: {classify(exc).value}, server asks to wait {retry_after(exc)}s")
        return None
    except BaseException:
        breaker.abandon(admission)  # cancelled: free a probe slot, judge nothing
        raise
    await breaker.asettle(admission, None, time.monotonic() - start)
    return answer


async def route(prompt: str, providers: list[str]) -> str:
    for provider in providers:
        breaker = breaker_for(provider)
        if not breaker.available():  # side-effect free: no probe slot, no I/O
            print(f"{provider}: skipped, available in {breaker.available_in():.0f}s")
            continue
        try:
            answer = await attempt(provider, prompt)
        except CircuitOpenError:
            continue
        if answer is not None:
            return answer
    raise RuntimeError("every provider failed")


async def main() -> None:
    providers = ["openai:gpt-4o", "anthropic:claude-sonnet"]
    for prompt in ("hi", "hello", "hey"):
        print(await route(prompt, providers))
    print(f"openai:gpt-4o is {breaker_for('openai:gpt-4o').state.value}")


if __name__ == "__main__":
    asyncio.run(main())

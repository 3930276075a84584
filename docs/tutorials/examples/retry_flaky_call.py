"""Retry a flaky LLM call with exponential backoff, inside a deadline, without real waits."""

from __future__ import annotations

import asyncio

from powertools.retry import RetryEvent, TransientError, retry
from powertools.retry.testing import FakeClock

clock = FakeClock()  # its asleep() moves time forward instead of waiting
waits: list[float] = []


class FlakyLLM:
    """Answers on the third call; the first two fail like an overloaded server."""

    def __init__(self) -> None:
        self.calls = 0

    async def generate(self, prompt: str) -> str:
        self.calls += 1
        if self.calls < 3:
            raise TransientError(f"503 Service Unavailable (call {self.calls})")
        return f"answer to {prompt!r}"


llm = FlakyLLM()


def on_retry(event: RetryEvent) -> None:
    waits.append(event.wait)
    category = event.category.value if event.category else "unknown"
    print(f"attempt {event.attempt} failed ({category}); waiting {event.wait:.1f}s")


@retry(
    max_attempts=5,
    strategy="exponential_backoff",
    base_delay=1.0,
    jitter=False,  # keep the waits readable: 1 s, then 2 s
    deadline=30,  # never spend more than 30 s on one answer, waits included
    on_retry=on_retry,
    clock=clock.monotonic,
    asleep=clock.asleep,
)
async def call_llm(prompt: str) -> str:
    return await llm.generate(prompt)


async def main() -> None:
    answer = await call_llm("hello")
    print(answer, f"after {llm.calls} calls and {clock.monotonic():.0f}s")
    assert answer == "answer to 'hello'"
    assert waits == [1.0, 2.0]

    # A service that never recovers: the 4 s wait would cross the 5 s deadline, so it gives up.
    @retry(
        max_attempts=10,
        base_delay=1.0,
        jitter=False,
        deadline=5,
        clock=clock.monotonic,
        asleep=clock.asleep,
    )
    async def always_down() -> str:
        raise TransientError("503 Service Unavailable")

    started = clock.monotonic()
    try:
        await always_down()
    except TransientError:
        print(f"gave up after {clock.monotonic() - started:.0f}s, inside the 5 s deadline")
    assert clock.monotonic() - started <= 5


if __name__ == "__main__":
    asyncio.run(main())

"""Put a circuit breaker in front of a provider: fail fast while it is down, probe, recover."""

from __future__ import annotations

import asyncio
import contextlib

from powertools.retry import CircuitBreaker, CircuitOpenError, CircuitState
from powertools.retry.testing import FakeClock

clock = FakeClock()
transitions: list[str] = []


class Provider:
    def __init__(self) -> None:
        self.down = True
        self.calls = 0

    async def generate(self, prompt: str) -> str:
        self.calls += 1
        if self.down:
            raise ConnectionError("connection reset by peer")
        return f"answer to {prompt!r}"


provider = Provider()
breaker = CircuitBreaker(
    "provider",
    failure_threshold=3,  # three failures in a row open the circuit
    recovery_timeout=30,  # then wait 30 s before letting one probe through
    listeners=(lambda old, new: transitions.append(f"{old.value}->{new.value}"),),
    clock=clock.monotonic,
)


@breaker
async def ask(prompt: str) -> str:
    return await provider.generate(prompt)


def state() -> CircuitState:
    """The state now: a function of time, so it can change without a call."""
    return breaker.state


async def main() -> None:
    for _ in range(3):
        with contextlib.suppress(ConnectionError):
            await ask("hi")
    assert state() is CircuitState.OPEN

    try:  # the provider is not called at all now
        await ask("hi")
    except CircuitOpenError as exc:
        print(f"refused at once; next probe in {exc.retry_after:.0f}s")
    assert provider.calls == 3

    clock.advance(30)  # the recovery timeout passes: half-open, one probe allowed
    provider.down = False
    print(await ask("hi again"))
    print("transitions:", transitions)
    assert state() is CircuitState.CLOSED
    assert transitions == ["closed->open", "open->half_open", "half_open->closed"]


if __name__ == "__main__":
    asyncio.run(main())

"""The powertools side of the retry migration guide: each section replaces a peer's idiom."""

from __future__ import annotations

import asyncio

from powertools.retry import ErrorCategory, TransientError, retry, retrying
from powertools.retry.testing import set_testing

calls = {"fetch": 0, "loop": 0, "stamina": 0}


class FlakyError(ConnectionError):
    pass


# --8<-- [start:decorator]
@retry(
    max_attempts=5,  # tenacity: stop_after_attempt(5); backoff: max_tries=5
    deadline=30,  # tenacity: stop_after_delay(30); backoff: max_time=30; stamina: timeout=30
    strategy="exponential_backoff",  # wait_exponential / backoff.expo
    base_delay=1,
    max_delay=20,
    jitter=True,  # full jitter, as backoff and stamina do by default
    retry_on=(ConnectionError, TimeoutError),  # retry_if_exception_type / the exception arg
)
def fetch(url: str) -> str:
    calls["fetch"] += 1
    if calls["fetch"] < 3:
        raise FlakyError(url)
    return "ok"


# --8<-- [end:decorator]


# --8<-- [start:loop]
def fetch_in_a_loop(url: str) -> str:
    for attempt in retrying(max_attempts=3):  # tenacity: for attempt in Retrying(...)
        with attempt:
            calls["loop"] += 1
            if calls["loop"] < 2:
                raise FlakyError(url)
            return "ok"
    raise AssertionError("unreachable: retrying re-raises the last error")


# --8<-- [end:loop]


# --8<-- [start:categories]
# stamina: @stamina.retry(on=httpx.HTTPError, attempts=3)
# ours: the error's meaning, not its type, decides (429/5xx/timeouts yes; 400/401/404 never)
@retry(max_attempts=3, retry_on=(ErrorCategory.TRANSIENT, ErrorCategory.RATE_LIMIT))
async def call_model(prompt: str) -> str:
    calls["stamina"] += 1
    if calls["stamina"] < 2:
        raise TransientError("503")
    return prompt.upper()


# --8<-- [end:categories]


def main() -> None:
    with set_testing(True):  # stamina.set_testing(True): no waits in tests
        assert fetch("https://example.invalid") == "ok"
        assert fetch_in_a_loop("https://example.invalid") == "ok"
        assert asyncio.run(call_model("hi")) == "HI"
    print(calls)
    assert calls == {"fetch": 3, "loop": 2, "stamina": 2}


if __name__ == "__main__":
    main()

"""Share one circuit breaker across processes through Redis (needs powertools-retry[redis]).

Set REDIS_URL (default ``redis://127.0.0.1:6379/0``). Two breakers stand for two processes.
"""

from __future__ import annotations

import contextlib
import os
import time

from powertools.retry import CircuitBreaker, CircuitOpenError, CircuitState
from powertools.retry.backends.redis import RedisStorage

URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def worker() -> CircuitBreaker:
    """What each process of the fleet does at start-up: the same circuit name, the same Redis."""
    return CircuitBreaker(
        "openai:gpt-4o",
        failure_threshold=2,
        recovery_timeout=60,
        storage=RedisStorage(URL, refresh_interval=0.001),  # how stale a local copy may be
    )


def failing_call() -> str:
    raise ConnectionError("connection reset by peer")


def main() -> None:
    api_1, api_2 = worker(), worker()
    api_1.reset()  # start from a closed circuit whatever an earlier run left

    for _ in range(2):  # process api-1 sees the provider fail twice
        with contextlib.suppress(ConnectionError):
            api_1.call(failing_call)

    # process api-2 never saw a failure, yet it no longer calls the provider
    try:
        api_2.call(lambda: "not called")
    except CircuitOpenError as exc:
        print(f"api-2 refused: the shared circuit is open for {exc.retry_after:.0f}s more")
    else:
        raise AssertionError("api-2 should share api-1's open circuit")
    assert api_2.state is CircuitState.OPEN
    api_1.reset()
    time.sleep(0.01)  # api-2's local copy may be refresh_interval old: let it age out
    assert api_2.call(lambda: "ok") == "ok"
    print("reset by api-1, api-2 calls again")


if __name__ == "__main__":
    main()

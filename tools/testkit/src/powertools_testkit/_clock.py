"""The one shape of ``FakeClock`` that every package's public ``testing`` module offers.

Users who test the whole stack hand one clock to every component, so each package's ``FakeClock``
must take the same constructor and answer the same calls the same way (components still do not
import each other: each package writes its own, and its tests call :func:`check_fake_clock`).
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

__all__ = ["check_fake_clock"]


def check_fake_clock(cls: type[Any]) -> None:
    """Assert that ``cls`` has the shared FakeClock shape; the message names what differs.

    The shape: ``FakeClock(start=0.0)``; a read/write ``now``; ``clock()``, ``time()`` and
    ``monotonic()`` all return ``now``; sync ``advance(seconds)`` (negative raises ``ValueError``);
    sync ``sleep(seconds)`` and ``async asleep(seconds)`` both advance ``now`` by ``seconds``.
    """
    default = cls()
    assert default.now == 0.0, f"{cls.__qualname__}() must start at 0.0, not {default.now!r}"
    clock = cls(start=100.0)
    assert clock.now == 100.0, "FakeClock(start=100.0).now must be 100.0"
    assert cls(5.0).now == 5.0, "start must also be accepted positionally"
    for reader in ("__call__", "time", "monotonic"):
        got = clock() if reader == "__call__" else getattr(clock, reader)()
        assert got == 100.0, f"{reader}() returned {got!r}, expected now (100.0)"
    clock.advance(2.5)
    assert clock.now == 102.5, "advance(2.5) must move now by 2.5 s"
    try:
        clock.advance(-1.0)
    except ValueError:
        pass
    else:  # pragma: no cover - only reached by a clock that breaks the shape
        raise AssertionError("advance(-1.0) must raise ValueError: time never goes back")
    assert clock.now == 102.5, "a refused advance must not move the clock"
    clock.now = 200.0
    assert clock.time() == 200.0, "now must be writable and read back by time()"
    result = clock.sleep(1.0)
    assert not inspect.isawaitable(result), "sleep() must be synchronous"
    assert result is None, "sleep() returns nothing"
    assert clock.now == 201.0, "sleep(1.0) must advance now by 1.0"
    assert inspect.iscoroutinefunction(cls.asleep), "asleep must be an async function"
    asyncio.run(clock.asleep(2.0))
    assert clock.now == 203.0, "await asleep(2.0) must advance now by 2.0"

"""The circuit breaker: transitions, windows, probes under concurrency, a state-machine model."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from powertools.retry import (
    CircuitBreaker,
    CircuitOpenError,
    CircuitState,
    RateLimitError,
    RetryConfigError,
    circuit_breaker,
)
from powertools.retry._breaker_state import Admission, Snapshot, StoreSettings, advance, wait_for
from powertools.retry.testing import FakeClock

CLOSED, OPEN, HALF_OPEN = CircuitState.CLOSED, CircuitState.OPEN, CircuitState.HALF_OPEN


def fail() -> None:
    raise ConnectionError("down")


def succeed() -> str:
    return "ok"


def trip(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        with pytest.raises(ConnectionError):
            breaker.call(fail)


def test_closed_open_half_open_closed() -> None:
    clock = FakeClock()
    changes: list[tuple[CircuitState, CircuitState]] = []
    breaker = CircuitBreaker(
        "svc",
        failure_threshold=3,
        recovery_timeout=10,
        clock=clock,
        listeners=(lambda old, new: changes.append((old, new)),),
    )
    trip(breaker, 2)
    assert breaker.call(succeed) == "ok"  # a success resets the consecutive count
    trip(breaker, 3)
    assert breaker.state is OPEN
    with pytest.raises(CircuitOpenError) as info:
        breaker.call(succeed)
    assert info.value.retry_after == 10
    assert "svc" in str(info.value)
    clock.advance(10)
    assert breaker.call(succeed) == "ok"
    assert breaker.state is CLOSED
    assert changes == [(CLOSED, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, CLOSED)]
    assert repr(breaker) == "<CircuitBreaker 'svc' closed>"


def test_a_failed_probe_reopens() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=5, clock=clock)
    trip(breaker, 1)
    clock.advance(5)
    trip(breaker, 1)
    assert breaker.state is OPEN
    with pytest.raises(CircuitOpenError) as info:
        breaker.call(succeed)
    assert info.value.retry_after == 5


def test_rate_limits_do_not_trip_by_default_but_can() -> None:
    breaker = CircuitBreaker(failure_threshold=1, clock=FakeClock())

    def limited() -> None:
        raise RateLimitError(retry_after=1)

    for _ in range(3):
        with pytest.raises(RateLimitError):
            breaker.call(limited)
    assert breaker.state is CLOSED
    strict = CircuitBreaker(failure_threshold=1, counts=lambda exc: True, clock=FakeClock())
    with pytest.raises(RateLimitError):
        strict.call(limited)
    assert strict.state is OPEN


def test_count_based_failure_rate_with_minimum_calls() -> None:
    breaker = CircuitBreaker(
        failure_threshold=None,
        failure_rate_threshold=0.5,
        window_size=4,
        minimum_calls=4,
        clock=FakeClock(),
    )
    breaker.call(succeed)
    trip(breaker, 1)
    breaker.call(succeed)
    assert breaker.state is CLOSED  # 3 calls: below minimum_calls
    trip(breaker, 1)
    assert breaker.state is OPEN  # 2 of the last 4 failed


def test_count_window_forgets_the_oldest_outcome() -> None:
    breaker = CircuitBreaker(
        failure_threshold=None,
        failure_rate_threshold=0.75,
        window_size=4,
        minimum_calls=4,
        clock=FakeClock(),
    )
    trip(breaker, 2)
    for _ in range(4):
        breaker.call(succeed)
    trip(breaker, 2)
    assert breaker.state is CLOSED  # the window holds 2 successes, 2 failures


def test_time_based_window_drops_old_calls() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(
        failure_threshold=None,
        failure_rate_threshold=1.0,
        window_seconds=10,
        minimum_calls=2,
        clock=clock,
    )
    breaker.call(succeed)
    clock.advance(11)
    trip(breaker, 1)
    assert breaker.state is CLOSED  # the success left the window; only 1 call remains
    trip(breaker, 1)
    assert breaker.state is OPEN


def test_slow_successes_count_as_failures() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=2, slow_call_threshold=1.0, clock=clock)

    def slow() -> str:
        clock.advance(2)
        return "late"

    assert breaker.call(slow) == "late"
    assert breaker.call(slow) == "late"
    assert breaker.state is OPEN


def test_manual_open_close_reset() -> None:
    breaker = CircuitBreaker(clock=FakeClock())
    seen: list[CircuitState] = []
    breaker.add_listener(lambda old, new: seen.append(new))
    breaker.open()
    assert breaker.state is OPEN
    breaker.close()
    assert breaker.state is CLOSED
    breaker.open()
    breaker.reset()
    assert seen == [OPEN, CLOSED, OPEN, CLOSED]


def test_stale_outcomes_from_before_a_transition_are_ignored() -> None:
    breaker = CircuitBreaker(failure_threshold=1, clock=FakeClock())
    early = breaker.admit()
    breaker.open()
    breaker.close()
    breaker.settle(early, ConnectionError(), 0.0)
    assert breaker.state is CLOSED


def test_cancelled_probe_frees_its_slot() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=1, clock=clock)
    trip(breaker, 1)
    clock.advance(1)

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        breaker.call(interrupted)
    assert breaker.state is HALF_OPEN
    assert breaker.call(succeed) == "ok"
    assert breaker.state is CLOSED


async def test_async_decorator_and_cancellation() -> None:
    clock = FakeClock()

    @circuit_breaker(failure_threshold=1, recovery_timeout=1, clock=clock)
    async def call(ok: bool) -> str:
        if not ok:
            raise ConnectionError
        return "ok"

    with pytest.raises(ConnectionError):
        await call(False)
    clock.advance(1)
    gate = asyncio.Event()

    @call.breaker  # type: ignore[attr-defined]
    async def hang() -> None:
        await gate.wait()

    task = asyncio.create_task(hang())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await call(True) == "ok"
    assert call.breaker.state is CLOSED  # type: ignore[attr-defined]
    assert call.__name__ == "call"


@pytest.mark.parametrize(
    "options",
    [
        {"failure_threshold": 0},
        {"recovery_timeout": -1},
        {"failure_rate_threshold": 0},
        {"failure_rate_threshold": 1.5},
        {"window_size": 0},
        {"half_open_max_calls": 0},
        {"minimum_calls": 0},
        {"failure_threshold": None},
    ],
)
def test_bad_breaker_options(options: dict[str, Any]) -> None:
    with pytest.raises(RetryConfigError):
        CircuitBreaker(**options)


def test_no_lock_is_held_across_the_protected_call() -> None:
    breaker = CircuitBreaker()
    barrier = threading.Barrier(8, timeout=30)
    results: list[int] = []

    def meet() -> int:
        return barrier.wait()  # only returns once all 8 calls are inside at the same time

    threads = [
        threading.Thread(target=lambda: results.append(breaker.call(meet))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == list(range(8))


def half_open_breaker(probes: int) -> CircuitBreaker:
    clock = FakeClock()
    breaker = CircuitBreaker(
        failure_threshold=1, recovery_timeout=1, half_open_max_calls=probes, clock=clock
    )
    trip(breaker, 1)
    clock.advance(1)
    return breaker


@pytest.mark.parametrize("probes", [1, 3])
def test_exactly_the_allowed_probes_under_thread_concurrency(probes: int) -> None:
    breaker = half_open_breaker(probes)
    release = threading.Event()
    start = threading.Barrier(16, timeout=30)
    admitted: list[int] = []
    refused: list[int] = []

    def probe() -> None:
        admitted.append(1)
        release.wait(timeout=30)

    def caller() -> None:
        start.wait()
        try:
            breaker.call(probe)
        except CircuitOpenError:
            refused.append(1)

    threads = [threading.Thread(target=caller) for _ in range(16)]
    for thread in threads:
        thread.start()
    while len(admitted) + len(refused) < 16:
        threading.Event().wait(0.001)
    release.set()
    for thread in threads:
        thread.join()
    assert len(admitted) == probes
    assert len(refused) == 16 - probes
    assert breaker.state is CLOSED


@pytest.mark.parametrize("probes", [1, 4])
async def test_exactly_the_allowed_probes_under_asyncio_concurrency(probes: int) -> None:
    breaker = half_open_breaker(probes)
    release = asyncio.Event()
    admitted = 0

    async def probe() -> None:
        nonlocal admitted
        admitted += 1
        await release.wait()

    tasks = [asyncio.create_task(breaker.acall(probe)) for _ in range(20)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert admitted == probes
    assert sum(isinstance(r, CircuitOpenError) for r in results) == 20 - probes
    assert breaker.state is CLOSED


THRESHOLD, PROBES, RECOVERY, PROBE_TIMEOUT = 3, 2, 10.0, 5.0


def thread_burst(breaker: CircuitBreaker, n: int, failed: bool) -> int:
    """``n`` threads call at once; all admitted calls end together. Returns how many ran."""
    start, held = threading.Barrier(n, timeout=30), threading.Barrier(n + 1, timeout=30)
    gate = threading.Event()
    ran: list[int] = []

    def body() -> None:
        ran.append(1)
        held.wait()
        gate.wait(timeout=30)
        if failed:
            raise ConnectionError

    def caller() -> None:
        start.wait()
        try:
            breaker.call(body)
        except CircuitOpenError:
            held.wait()
        except ConnectionError:
            pass

    threads = [threading.Thread(target=caller) for _ in range(n)]
    for thread in threads:
        thread.start()
    held.wait()  # every caller is inside its call or has been refused
    gate.set()
    for thread in threads:
        thread.join()
    return len(ran)


def task_burst(breaker: CircuitBreaker, n: int, failed: bool) -> int:
    """``n`` asyncio tasks call at once; all admitted calls end together."""

    async def run() -> int:
        gate = asyncio.Event()
        ran: list[int] = []

        async def body() -> None:
            ran.append(1)
            await gate.wait()
            if failed:
                raise ConnectionError

        tasks = [asyncio.create_task(breaker.acall(body)) for _ in range(n)]
        await asyncio.sleep(0)  # every task is inside its call or has been refused
        gate.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        return len(ran)

    return asyncio.run(run())


class BreakerModel(RuleBasedStateMachine):
    """Interleaved call starts and ends (as concurrent callers produce) against a simple model."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.breaker = CircuitBreaker(
            failure_threshold=THRESHOLD,
            recovery_timeout=RECOVERY,
            half_open_max_calls=PROBES,
            probe_timeout=PROBE_TIMEOUT,
            clock=self.clock,
        )
        self.state = CLOSED
        self.generation = 0
        self.opened_at = 0.0
        self.probed_at = 0.0
        self.probes = 0
        self.successes = 0
        self.consecutive = 0
        self.in_flight: list[Admission] = []

    def _move(self, state: CircuitState, at: float | None = None) -> None:
        self.state = state
        self.generation += 1
        self.probes = self.successes = self.consecutive = 0
        if state is OPEN:
            self.opened_at = self.clock.now if at is None else at

    def _tick(self) -> None:
        """What time alone changes: an unsettled probe times out, an open circuit recovers."""
        now = self.clock.now
        hung = self.state is HALF_OPEN and self.probes > self.successes
        if hung and now >= self.probed_at + PROBE_TIMEOUT:
            self._move(OPEN, self.probed_at + PROBE_TIMEOUT)
        if self.state is OPEN and now >= self.opened_at + RECOVERY:
            self._move(HALF_OPEN)

    def _expected_wait(self) -> float:
        if self.state is OPEN:
            return self.opened_at + RECOVERY - self.clock.now
        return self.probed_at + PROBE_TIMEOUT + RECOVERY - self.clock.now

    @rule()
    def begin_call(self) -> None:
        self._tick()
        expect_probe = self.state is HALF_OPEN
        admitted = self.state is CLOSED or (expect_probe and self.probes < PROBES)
        assert self.breaker.available() == admitted  # asking uses up nothing
        if not admitted:
            with pytest.raises(CircuitOpenError) as info:
                self.breaker.admit()
            assert info.value.retry_after == pytest.approx(self._expected_wait())
            assert self.breaker.available_in() == pytest.approx(self._expected_wait())
            return
        admission = self.breaker.admit()
        assert admission.probe == expect_probe
        self.probes += expect_probe
        if expect_probe:
            self.probed_at = self.clock.now
        self.in_flight.append(admission)

    @precondition(lambda self: self.in_flight)
    @rule(index=st.integers(0, 100), failed=st.booleans())
    def end_call(self, index: int, failed: bool) -> None:
        admission = self.in_flight.pop(index % len(self.in_flight))
        self.breaker.settle(admission, ConnectionError() if failed else None, 0.0)
        self._tick()
        self._model_settle(admission.generation, admission.probe, failed)

    def _model_settle(self, generation: int, probe: bool, failed: bool) -> None:
        if generation != self.generation:
            return
        if probe:
            if failed:
                self._move(OPEN)
            else:
                self.successes += 1
                if self.successes == PROBES:
                    self._move(CLOSED)
            return
        self.consecutive = self.consecutive + 1 if failed else 0
        if self.consecutive >= THRESHOLD:
            self._move(OPEN)

    def _model_admit_many(self, n: int) -> tuple[int, bool]:
        self._tick()
        if self.state is CLOSED:
            return n, False
        if self.state is HALF_OPEN:
            admitted = min(n, PROBES - self.probes)
            self.probes += admitted
            self.probed_at = self.clock.now if admitted else self.probed_at
            return admitted, True
        return 0, False

    @rule(n=st.integers(1, 6), failed=st.booleans(), kind=st.sampled_from(["threads", "tasks"]))
    def concurrent_burst(self, n: int, failed: bool, kind: str) -> None:
        """``n`` callers start at once, hold their call open, then all end the same way."""
        generation_before = self.generation
        expected, probes = self._model_admit_many(n)
        burst = thread_burst if kind == "threads" else task_burst
        admitted = burst(self.breaker, n, failed)
        assert admitted == expected
        generation = self.generation if expected else generation_before
        for _ in range(admitted):
            self._model_settle(generation, probes, failed)

    @precondition(lambda self: self.in_flight)
    @rule(index=st.integers(0, 100))
    def cancel_call(self, index: int) -> None:
        admission = self.in_flight.pop(index % len(self.in_flight))
        self.breaker.abandon(admission)
        self._tick()
        if admission.probe and admission.generation == self.generation:
            self.probes -= 1

    @rule(seconds=st.sampled_from([0.5, 5.0, 10.0]))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule(state=st.sampled_from([OPEN, CLOSED]))
    def force(self, state: CircuitState) -> None:
        getattr(self.breaker, "open" if state is OPEN else "close")()
        self._move(state)

    @invariant()
    def same_state(self) -> None:
        self._tick()  # the breaker's state is a function of time too
        assert self.breaker.state is self.state

    @invariant()
    def probes_never_exceed_the_limit(self) -> None:
        live = [a for a in self.in_flight if a.probe and a.generation == self.generation]
        assert len(live) <= PROBES


TestBreakerModel = BreakerModel.TestCase
TestBreakerModel.settings = settings(max_examples=100, stateful_step_count=40, deadline=None)


async def test_acall_cancellation_frees_the_probe_and_settles_nothing() -> None:
    breaker = half_open_breaker(1)
    gate = asyncio.Event()

    async def hang() -> None:
        await gate.wait()

    task = asyncio.create_task(breaker.acall(hang))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert breaker.state is HALF_OPEN
    with pytest.raises(ConnectionError):
        await breaker.acall(_afail)
    assert breaker.state is OPEN


async def _afail() -> None:
    raise ConnectionError


def test_late_trips_and_settles_of_another_generation_change_nothing() -> None:
    from powertools.retry._breaker_state import MemoryStore, StoreSettings

    changes: list[object] = []
    store = MemoryStore(StoreSettings("s", 1.0, 1, 1.0, FakeClock(), lambda *c: changes.append(c)))
    store.trip(99)
    store.settle_probe(0, True)
    assert store.current() == (CLOSED, 0)
    assert store.admit() == Admission(True, False, 0)
    assert changes == []


def test_an_unknown_storage_scheme_is_a_clear_error() -> None:
    with pytest.raises(RetryConfigError, match="'postgresql'") as info:
        CircuitBreaker(storage="postgresql://user:secret@host/db")
    assert "secret" not in str(info.value)


def test_an_uncounted_error_neither_resets_the_streak_nor_closes_a_probe() -> None:
    breaker = CircuitBreaker(failure_threshold=3, recovery_timeout=1, clock=FakeClock())

    def limited() -> None:
        raise RateLimitError(retry_after=1)

    trip(breaker, 2)
    with pytest.raises(RateLimitError):
        breaker.call(limited)
    trip(breaker, 1)
    assert breaker.state is OPEN  # the 429 between failures did not reset the streak
    breaker._clock.advance(1)  # type: ignore[attr-defined]
    with pytest.raises(RateLimitError):
        breaker.call(limited)
    assert breaker.state is HALF_OPEN  # the probe's slot was freed, not counted as a success
    assert breaker.call(succeed) == "ok"
    assert breaker.state is CLOSED


def test_state_is_a_function_of_time_and_available_uses_up_nothing() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(failure_threshold=1, recovery_timeout=30, clock=clock)
    assert breaker.available()
    assert breaker.available_in() == 0.0
    trip(breaker, 1)
    clock.advance(10)
    assert not breaker.available()
    assert breaker.available_in() == pytest.approx(20.0)
    clock.advance(20)
    assert breaker.state is HALF_OPEN  # no admit() needed to see it
    assert repr(breaker) == "<CircuitBreaker 'default' half_open>"
    for _ in range(5):
        assert breaker.available()  # asking never takes the probe slot
    probe = breaker.admit()
    assert probe.probe
    assert not breaker.available()  # the one slot is taken now
    with pytest.raises(CircuitOpenError):
        breaker.admit()
    breaker.settle(probe, None, 0.0)
    assert breaker.state is CLOSED


def test_a_probe_that_never_settles_counts_as_failed_after_the_probe_timeout() -> None:
    clock = FakeClock()
    changes: list[tuple[CircuitState, CircuitState]] = []
    breaker = CircuitBreaker(
        failure_threshold=1,
        recovery_timeout=30,
        probe_timeout=10,
        clock=clock,
        listeners=(lambda old, new: changes.append((old, new)),),
    )
    trip(breaker, 1)
    clock.advance(30)
    hung = breaker.admit()  # a probe that will never come back
    clock.advance(9)
    assert breaker.state is HALF_OPEN
    with pytest.raises(CircuitOpenError):
        breaker.admit()
    clock.advance(1)
    assert breaker.state is OPEN  # timed out: failed, open from that moment
    assert breaker.available_in() == pytest.approx(30.0)
    clock.advance(30)
    fresh = breaker.admit()
    assert fresh.probe
    breaker.settle(hung, None, 0.0)  # the hung probe's late success counts for nothing
    assert breaker.state is HALF_OPEN
    breaker.settle(fresh, None, 0.0)
    assert breaker.state is CLOSED
    assert changes[-3:] == [(HALF_OPEN, OPEN), (OPEN, HALF_OPEN), (HALF_OPEN, CLOSED)]


def test_probe_timeout_defaults_to_the_recovery_timeout_and_is_validated() -> None:
    assert CircuitBreaker(recovery_timeout=12).probe_timeout == 12
    with pytest.raises(RetryConfigError, match="probe_timeout"):
        CircuitBreaker(probe_timeout=0)


class HTTPError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status_code = status


def fail_with(status: int) -> Any:
    def call() -> None:
        raise HTTPError(status)

    return call


@pytest.mark.parametrize(
    ("status", "state"),
    [
        *[(status, CLOSED) for status in (400, 404, 422, 401, 403)],
        *[(status, OPEN) for status in (500, 503, 504)],
    ],
)
def test_server_errors_trip_but_caller_and_auth_errors_do_not_by_default(
    status: int, state: CircuitState
) -> None:
    breaker = CircuitBreaker(failure_threshold=3, clock=FakeClock())
    for _ in range(3):
        with pytest.raises(HTTPError):
            breaker.call(fail_with(status))
    assert breaker.state is state


def test_auth_errors_trip_when_asked() -> None:
    breaker = CircuitBreaker(failure_threshold=2, count_auth_errors=True, clock=FakeClock())
    for _ in range(2):
        with pytest.raises(HTTPError):
            breaker.call(fail_with(401))
    assert breaker.state is OPEN
    strict = CircuitBreaker(failure_threshold=1, count_auth_errors=True, clock=FakeClock())
    with pytest.raises(HTTPError):
        strict.call(fail_with(400))
    assert strict.state is CLOSED  # a bad request is still the caller's fault


def test_an_inner_open_circuit_does_not_trip_the_outer_one() -> None:
    inner = CircuitBreaker("inner", clock=FakeClock())
    inner.open()
    outer = CircuitBreaker("outer", failure_threshold=1, clock=FakeClock())
    with pytest.raises(CircuitOpenError):
        outer.call(inner(succeed))
    assert outer.state is CLOSED


def test_named_breakers_are_one_per_name() -> None:
    from powertools.retry.testing import forget_breakers

    forget_breakers()
    first = CircuitBreaker.named("openai:gpt-4o", failure_threshold=1)
    assert CircuitBreaker.named("openai:gpt-4o") is first
    assert CircuitBreaker.named("openai:gpt-4o", failure_threshold=1) is first
    assert CircuitBreaker.named("anthropic:claude") is not first
    with pytest.raises(RetryConfigError, match="failure_threshold=1, not 3"):
        CircuitBreaker.named("openai:gpt-4o", failure_threshold=3)
    with pytest.raises(RetryConfigError, match="recovery_timeout"):
        CircuitBreaker.named("openai:gpt-4o", recovery_timeout=5)
    with pytest.raises(RetryConfigError, match="unknown options \\['treshold'\\]"):
        CircuitBreaker.named("openai:gpt-4o", treshold=3)
    trip(first, 1)
    assert CircuitBreaker.named("openai:gpt-4o").state is OPEN  # one state for every caller
    forget_breakers()
    assert CircuitBreaker.named("openai:gpt-4o").state is CLOSED


snapshots = st.builds(
    lambda state, gen, opened, probed, probes, successes: Snapshot(
        state, gen, opened, probed, probes, min(successes, probes)
    ),
    st.sampled_from([CLOSED, OPEN, HALF_OPEN]),
    st.integers(0, 100),
    st.floats(0, 100),
    st.floats(0, 100),
    st.integers(0, 3),
    st.integers(0, 3),
)


@settings(max_examples=300)
@given(snapshots, st.floats(0, 200), st.floats(0, 200))
def test_time_transitions_compose_whoever_applies_them_first(
    snapshot: Snapshot, first: float, later: float
) -> None:
    """Materialising a timed transition early (one process) or late (another) ends the same."""
    settings_ = StoreSettings("s", 30.0, 3, 10.0, FakeClock(), lambda *_: None)
    t1, t2 = sorted((first, later))
    once = advance(snapshot, t2, settings_)
    assert advance(advance(snapshot, t1, settings_), t2, settings_) == once
    assert advance(once, t2, settings_) == once
    assert wait_for(once, t2, settings_) >= 0
    if wait_for(once, t2, settings_) == 0 and once.state is OPEN:
        raise AssertionError("an open circuit with no wait left must have recovered")

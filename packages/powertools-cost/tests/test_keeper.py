"""The renewal keeper thread: it ends when nothing is watched, survives a failing ledger, and
starts afresh in a forked child."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from powertools.cost._renewal import _Keeper


class Watched:
    """Stands in for a Renewals: what the keeper reads (ttl, watched) and calls (renew_sync)."""

    def __init__(self, ttl: float, fail: bool = False) -> None:
        self.ttl, self.fail, self.watched, self.calls = ttl, fail, False, 0
        self.renewed = threading.Event()

    def renew_sync(self) -> int:
        self.calls += 1
        self.renewed.set()
        if self.fail:
            raise ConnectionError("ledger down")
        return 0


def test_with_nothing_watched_the_keeper_ends_its_thread() -> None:
    keeper = _Keeper()
    assert keeper.step() is None
    assert keeper._thread is None


def test_a_failing_ledger_is_logged_and_renewed_again(caplog: pytest.LogCaptureFixture) -> None:
    keeper = _Keeper()
    failing = Watched(ttl=0.3, fail=True)
    with caplog.at_level(logging.WARNING, logger="powertools.cost"):
        keeper.watch(failing)
        assert failing.watched
        deadline = time.monotonic() + 5
        while failing.calls < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert failing.calls >= 2, "the keeper stopped renewing after one failure"
    assert "could not extend reservations" in caplog.text
    assert "ConnectionError: ledger down" in caplog.text
    second = Watched(ttl=0.3)
    keeper.watch(second)  # the thread runs already: it is woken, not started twice
    assert second.renewed.wait(5)
    thread = keeper._thread
    assert thread is not None
    with keeper._wake:  # nothing left to watch: the thread ends at its next wake-up
        keeper._watched.clear()
        keeper._wake.notify()
    thread.join(5)
    assert not thread.is_alive()


def test_a_forked_child_forgets_the_parents_thread_and_watch_list() -> None:
    keeper = _Keeper()
    watched = Watched(ttl=60.0)
    keeper.watch(watched)
    keeper.forked()
    assert keeper._thread is None
    assert not watched.watched
    assert keeper.step() is None

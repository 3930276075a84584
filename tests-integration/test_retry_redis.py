"""A named circuit breaker shared through Redis by 4 processes, on Redis and on Redis Cluster."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import pytest

pytest.importorskip("redis")


pytestmark = pytest.mark.integration

RECOVERY = 1.0

# Each worker process owns one breaker and answers the parent's commands, one line each.
WORKER = r"""
import sys, time
from powertools.retry import CircuitBreaker, CircuitOpenError
from powertools.retry.backends.redis import RedisStorage

url, cluster, name, recovery = sys.argv[1], sys.argv[2] == "1", sys.argv[3], float(sys.argv[4])
if cluster:  # a cluster is said in the URL scheme
    url = url.replace("redis://", "redis+cluster://", 1)
storage = RedisStorage(url, refresh_interval=0.05)
options = dict(failure_threshold=3, recovery_timeout=recovery, storage=storage)
breaker = CircuitBreaker.named(name, **options)
assert CircuitBreaker.named(name) is breaker  # every caller in this process: one breaker

held = None

def down():
    raise ConnectionError("down")

def poll(done):
    limit = time.monotonic() + 10
    while time.monotonic() < limit:
        answer = done()
        if answer:
            return answer
        time.sleep(0.01)
    return "timeout"

def refused():
    try:
        admission = breaker.admit()
    except CircuitOpenError:
        return "open"
    breaker.settle(admission, None, 0.0)
    return None

def closed():
    try:
        admission = breaker.admit()
    except CircuitOpenError:
        return None
    breaker.settle(admission, None, 0.0)
    return "closed" if not admission.probe else None

print("ready", flush=True)
for line in sys.stdin:
    command = line.split()
    if command[0] == "fail":
        for _ in range(int(command[1])):
            try:
                breaker.call(down)
            except ConnectionError:
                pass
        reply = breaker.state.value
    elif command[0] == "until_open":
        reply = poll(refused)
    elif command[0] == "probe":
        try:
            held = breaker.admit()
            reply = "probe" if held.probe else "admitted"
        except CircuitOpenError:
            reply = "refused"
    elif command[0] == "settle":
        breaker.settle(held, None, 0.0)
        reply = breaker.state.value
    elif command[0] == "until_closed":
        reply = poll(closed)
    else:
        break
    print(reply, flush=True)
"""


class Worker:
    def __init__(self, url: str, cluster: bool, name: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER, url, "1" if cluster else "0", name, str(RECOVERY)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.read() == "ready"

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def read(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def ask(self, command: str) -> str:
        self.send(command)
        return self.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.send("quit")
            self.process.wait(timeout=30)


def workers(url: str, cluster: bool) -> Iterator[list[Worker]]:
    name = f"shared-{uuid.uuid4().hex[:8]}"
    started = [Worker(url, cluster, name) for _ in range(4)]
    try:
        yield started
    finally:
        for worker in started:
            worker.stop()


def everyone(group: list[Worker], command: str) -> list[str]:
    for worker in group:
        worker.send(command)
    return [worker.read() for worker in group]


def run_scenario(group: list[Worker]) -> None:
    assert group[0].ask("fail 3") == "open"
    assert everyone(group, "until_open") == ["open"] * 4
    time.sleep(RECOVERY + 0.2)
    answers = everyone(group, "probe")
    assert sorted(answers) == ["probe", "refused", "refused", "refused"]
    prober = group[answers.index("probe")]
    assert prober.ask("settle") == "closed"
    assert everyone(group, "until_closed") == ["closed"] * 4


@pytest.mark.slow
def test_four_processes_share_one_breaker_on_redis(redis_url: str) -> None:
    for group in workers(redis_url, cluster=False):
        run_scenario(group)


@pytest.mark.slow
def test_four_processes_share_one_breaker_on_redis_cluster(redis_cluster_url: str) -> None:
    for group in workers(redis_cluster_url, cluster=True):
        run_scenario(group)

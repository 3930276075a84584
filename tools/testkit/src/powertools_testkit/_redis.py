"""Redis fixtures: a logical database of the machine's Redis, and a real 3-node Redis Cluster."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from powertools_testkit._processes import ManagedProcess, free_port, port_is_open, wait_for_port
from powertools_testkit._require import unavailable

__all__ = ["RedisCluster", "claim_redis_database", "start_redis_cluster"]

_CLAIM_PREFIX = "powertools-testkit:db:"


def redis_address() -> tuple[str, int]:
    """Host and port of the machine's Redis (``POWERTOOLS_TEST_REDIS`` as ``host:port``)."""
    host, _, port = os.environ.get("POWERTOOLS_TEST_REDIS", "127.0.0.1:6379").partition(":")
    return host, int(port or 6379)


def claim_redis_database() -> Iterator[str]:
    """Claim a free logical database (1-15) for this test session; flush it before and after.

    Claims live in database 0 with an expiry, so concurrent test runs on one Redis never share
    a database and a crashed run frees its claim within the hour.
    """
    import redis

    host, port = redis_address()
    if not port_is_open(host, port):
        unavailable(f"Redis at {host}:{port}", "start redis-server or set POWERTOOLS_TEST_REDIS")
    admin = redis.Redis(host=host, port=port, db=0)
    token = f"{os.getpid()}:{time.time_ns()}"
    for db in range(1, 16):
        if admin.set(f"{_CLAIM_PREFIX}{db}", token, nx=True, ex=3600):
            break
    else:
        unavailable(f"a free logical database on Redis {host}:{port}", "all 15 are claimed")
    client = redis.Redis(host=host, port=port, db=db)
    client.flushdb()
    try:
        yield f"redis://{host}:{port}/{db}"
    finally:
        client.flushdb()
        client.close()
        if admin.get(f"{_CLAIM_PREFIX}{db}") == token.encode():
            admin.delete(f"{_CLAIM_PREFIX}{db}")
        admin.close()


class RedisCluster:
    """A 3-master Redis Cluster on free loopback ports, stopped by PID."""

    def __init__(self, workdir: Path, nodes: int = 3) -> None:
        server = shutil.which("redis-server")
        cli = shutil.which("redis-cli")
        if server is None or cli is None:
            unavailable(
                "redis-server and redis-cli", "install Redis (apt-get install redis-server)"
            )
        self.cli = cli
        self.ports = [free_port(also_free=lambda p: p + 10000) for _ in range(nodes)]
        self.processes: list[ManagedProcess] = []
        for port in self.ports:
            folder = workdir / str(port)
            folder.mkdir(parents=True)
            argv = [
                server,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(folder),
                "--protected-mode",
                "no",
            ]
            self.processes.append(ManagedProcess(argv, log=folder / "redis.log", cwd=folder))

    @property
    def url(self) -> str:
        """A URL of one node; cluster clients discover the others."""
        return f"redis://127.0.0.1:{self.ports[0]}"

    def start(self) -> None:
        """Wait for every node, join them into a cluster, wait until all slots are served."""
        for port, process in zip(self.ports, self.processes, strict=True):
            if not wait_for_port("127.0.0.1", port, timeout=20):
                raise RuntimeError(f"redis-server on port {port} did not start:\n{process.tail()}")
        nodes = [f"127.0.0.1:{port}" for port in self.ports]
        subprocess.run(
            [self.cli, "--cluster", "create", *nodes, "--cluster-replicas", "0", "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=60,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if all(self._state_ok(port) for port in self.ports):
                return
            time.sleep(0.1)
        raise RuntimeError("the Redis Cluster did not reach cluster_state:ok within 30 s")

    def _state_ok(self, port: int) -> bool:
        out = subprocess.run(
            [self.cli, "-p", str(port), "cluster", "info"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
        return "cluster_state:ok" in out

    def flush(self) -> None:
        """Empty every node."""
        for port in self.ports:
            subprocess.run(
                [self.cli, "-p", str(port), "flushall"], capture_output=True, timeout=10, check=True
            )

    def stop(self) -> None:
        """Stop every node by its PID."""
        for process in self.processes:
            process.stop()


def start_redis_cluster(workdir: Path) -> Iterator[RedisCluster]:
    """A started cluster, stopped when the generator is closed."""
    cluster = RedisCluster(workdir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()

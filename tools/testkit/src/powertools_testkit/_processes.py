"""Start, wait for and stop service processes on free loopback ports."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["ManagedProcess", "free_port", "port_is_open", "wait_for_port"]


def free_port(*, also_free: Callable[[int], int] | None = None) -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now.

    ``also_free`` maps the port to a second one that must be free as well (Redis Cluster's
    bus port is the port + 10000).
    """
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            if also_free is None:
                sock.bind(("127.0.0.1", 0))
                return int(sock.getsockname()[1])
            port = 20000 + int.from_bytes(os.urandom(2), "big") % 10000
            if _bindable(port) and _bindable(also_free(port)):
                return port
    raise RuntimeError("no free loopback port found after 200 tries")


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def port_is_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, timeout: float = 30.0) -> bool:
    """Wait until ``host:port`` accepts connections; False if it did not within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_is_open(host, port, timeout=0.2):
            return True
        time.sleep(0.05)
    return False


class ManagedProcess:
    """A service process started by a fixture and stopped by its PID.

    Its output goes to a log file, whose tail is shown when the service fails to start.
    """

    def __init__(self, argv: Sequence[str], *, log: Path, cwd: Path | None = None) -> None:
        self.argv = list(argv)
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            self.argv,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            start_new_session=True,  # a Ctrl-C in the test run does not kill it half-way
        )

    @property
    def pid(self) -> int:
        """The service's process id."""
        return self.process.pid

    def alive(self) -> bool:
        """True while the process runs."""
        return self.process.poll() is None

    def tail(self, lines: int = 30) -> str:
        """The end of the process's output, for error messages."""
        self._log_file.flush()
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the process (SIGTERM, then SIGKILL) and close its log."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                self.process.wait()
        self._log_file.close()

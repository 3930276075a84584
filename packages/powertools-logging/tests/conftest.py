"""Every test stores the embedded defaults (and the signing key) under its own temporary
folders, never in $HOME."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from powertools.logging import _logger, clear_context


@pytest.fixture(autouse=True)
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "powertools-data"
    monkeypatch.setenv("POWERTOOLS_LOGGING_DIR", str(folder))
    monkeypatch.setenv("POWERTOOLS_LOGGING_KEY_DIR", str(tmp_path / "powertools-keys"))
    clear_context()
    yield folder
    clear_context()
    for path, store in list(_logger._DEFAULT_STORES.items()):
        if folder in path.parents:
            store.close()
            del _logger._DEFAULT_STORES[path]
    for path, trail in list(_logger._DEFAULT_TRAILS.items()):
        if folder in path.parents:
            trail.close()
            del _logger._DEFAULT_TRAILS[path]


class Recorded:
    """Requests a local HTTP server received: (path, headers, body)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.status = 202


@pytest.fixture
def http_server() -> Iterator[tuple[str, Recorded]]:
    """A local HTTP server that records every POST and answers ``recorded.status``."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    recorded = Recorded()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            recorded.requests.append((self.path, dict(self.headers), body))
            self.send_response(recorded.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", recorded
    server.shutdown()
    server.server_close()

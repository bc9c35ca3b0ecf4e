"""A tiny base for local vendor fakes: a ThreadingHTTPServer on 127.0.0.1:0 in a daemon thread.

Usage in a fake module::

    class FakeVendorHandler(FakeHandler):
        def do_POST(self) -> None:
            body = self.read_json()
            self.send_json(200, {"ok": True})

    @pytest.fixture
    def fake_vendor():
        with run_fake_server(FakeVendorHandler) as base_url:
            yield base_url

Shared state for a fake lives on the server object (`self.server.state`), passed through
`run_fake_server(handler, state=...)`; the context manager yields only the base URL, or use
`start_fake_server` to get the server too (for request counting, injected faults, ...).
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    state: Any

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out on purpose (slow-vendor tests) closes the socket; that is not a failure.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class FakeHandler(BaseHTTPRequestHandler):
    """Handler helpers: read the raw/JSON body, answer JSON or raw bytes, stay quiet in test output."""

    server: FakeServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    @property
    def state(self) -> Any:
        return self.server.state

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def read_json(self) -> Any:
        raw = self.read_body()
        return json.loads(raw) if raw else None

    def send_bytes(self, status: int, body: bytes, content_type: str = "application/octet-stream") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status: int, payload: Any, content_type: str = "application/json") -> None:
        self.send_bytes(status, json.dumps(payload).encode(), content_type)


@contextmanager
def start_fake_server(handler_class: type[BaseHTTPRequestHandler], *, state: Any = None) -> Iterator[FakeServer]:
    """Serve `handler_class` on 127.0.0.1 (a free port) in a thread; yield the server, shut it down after."""
    server = FakeServer(("127.0.0.1", 0), handler_class)
    server.state = state
    thread = threading.Thread(target=server.serve_forever, name=f"fake-{handler_class.__name__}", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def run_fake_server(handler_class: type[BaseHTTPRequestHandler], *, state: Any = None) -> Iterator[str]:
    """Serve `handler_class` on 127.0.0.1:0 in a thread; yield its base URL (no trailing slash)."""
    with start_fake_server(handler_class, state=state) as server:
        yield server.base_url

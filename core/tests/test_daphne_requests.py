"""daphne's requests skip Twisted's form parsing and its access-log copy (core/daphne_requests.py): the body
reaches Django as sent."""

from typing import Any

import pytest
from daphne.http_protocol import WebRequest
from twisted.web import http
from twisted.web.test.requesthelper import DummyChannel

from core.daphne_requests import drop_twisted_access_log, stop_form_parsing


class _Server:
    def protocol_connected(self, request: Any) -> None:
        self.request = request


def _posted(body: bytes, content_type: bytes) -> WebRequest:
    channel = DummyChannel()
    channel.factory = type("Factory", (), {"server": _Server()})()
    request = WebRequest(channel)
    request.process = lambda: None  # daphne would hand it to the application here
    request.requestHeaders.setRawHeaders(b"content-type", [content_type])
    request.requestHeaders.setRawHeaders(b"content-length", [str(len(body)).encode()])
    request.gotLength(len(body))
    request.handleContentChunk(body)
    request.requestReceived(b"POST", b"/login/", b"HTTP/1.1")
    return request


def test_posted_bodies_are_not_parsed_by_twisted(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[bytes] = []
    monkeypatch.setattr(http, "_parseContentType", lambda line: parsed.append(line) or b"")
    assert stop_form_parsing()
    assert stop_form_parsing()  # applying it twice wraps once

    form = _posted(b"email=a%40b.test&password=x", b"application/x-www-form-urlencoded")

    assert parsed == []
    assert form.args == {}
    assert form.content.read() == b"email=a%40b.test&password=x"  # daphne sends this body on, untouched


def test_without_the_switch_twisted_would_parse_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: Twisted's default does parse the body."""
    monkeypatch.setattr(WebRequest, "__init__", getattr(WebRequest.__init__, "__wrapped__", WebRequest.__init__))
    form = _posted(b"email=a%40b.test", b"application/x-www-form-urlencoded")
    assert form.args == {b"email": [b"a@b.test"]}


def test_twisted_formats_no_access_log_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from daphne.http_protocol import HTTPFactory

    formatted: list[Any] = []
    if "log" in vars(HTTPFactory):  # dropped already (config.asgi was imported): Twisted's own, for this test
        monkeypatch.delattr(HTTPFactory, "log")
    factory = HTTPFactory(server=None)
    factory._logFormatter = lambda when, request: formatted.append(request) or "line"
    factory.startFactory()
    request = _posted(b"{}", b"application/json")
    factory.log(request)
    assert formatted == [request]  # Twisted's default: one formatted line per request

    drop_twisted_access_log()
    factory.log(request)
    assert formatted == [request]


def test_finished_connections_leave_daphnes_table_at_once() -> None:
    """Closed and finished (in either order): gone at once, and a second "disconnected" for it is harmless.
    Still open, or an application that raised (the once-a-second sweep logs it): kept for the sweep."""
    import asyncio

    from daphne.server import Server

    from core.daphne_requests import reap_finished_connections

    reap_finished_connections()
    server = Server.__new__(Server)  # only its connection table is used here
    server.connections = {}

    async def run() -> dict[str, bool]:
        finish_late = asyncio.Event()

        async def quick(scope: Any, receive: Any, send: Any) -> None:
            return None

        async def slow(scope: Any, receive: Any, send: Any) -> None:
            await finish_late.wait()

        async def failing(scope: Any, receive: Any, send: Any) -> None:
            raise RuntimeError("boom")

        protocols = {"done": quick, "closed first": slow, "failed": failing, "open": quick}
        for name, application in protocols.items():
            server.application = application
            server.protocol_connected(name)
            server.create_application(name, {"type": "http"})
        await asyncio.sleep(0.01)  # the quick applications finish
        for name in ("done", "closed first", "failed"):
            server.protocol_disconnected(name)
        closed_first_waiting = "closed first" in server.connections
        finish_late.set()
        await asyncio.sleep(0.01)
        server.protocol_disconnected("done")  # daphne may say it twice (a rejected socket closes after)
        return {name: name in server.connections for name in protocols} | {"waited": closed_first_waiting}

    kept = asyncio.run(run())
    assert kept == {"done": False, "closed first": False, "failed": True, "open": True, "waited": True}

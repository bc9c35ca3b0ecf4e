"""daphne's HTTP requests without Twisted's form parsing or its second access log line, and finished
connections that leave daphne's table at once.

Twisted parses every POST body with a Content-Type into `request.args` (form fields, multipart parts)
before daphne sees it; daphne never reads `args` and hands the raw body to Django, which parses forms
itself. performance: the Content-Type check alone builds an `email.message.EmailMessage`, which creates a
new header class per request (~40 µs and a reference cycle each, freed only by the garbage collector), and
a multipart upload was parsed twice. Twisted's own switch for this is `parsePOSTFormSubmission`.

daphne writes its own access log (stdout by default, `--access-log`); Twisted's HTTP factory also
formats a combined-log line per request for Twisted's log, which daphne discards below `-v 2` (~2% of a
daphne's time on a hot lot).
"""

import functools
import inspect
from typing import Any


def stop_form_parsing() -> bool:
    """Make daphne's requests skip Twisted's form parsing; False where this Twisted has no such switch."""
    from daphne.http_protocol import WebRequest
    from twisted.web.http import Request

    if "parsePOSTFormSubmission" not in inspect.signature(Request.__init__).parameters:
        return False
    init = WebRequest.__init__
    if getattr(init, "_forms_unparsed", False):
        return True

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("parsePOSTFormSubmission", False)
        init(self, *args, **kwargs)

    __init__._forms_unparsed = True  # type: ignore[attr-defined]
    WebRequest.__init__ = __init__  # type: ignore[method-assign]
    return True


def drop_twisted_access_log() -> None:
    """daphne's HTTP factory no longer writes Twisted's copy of each access-log line (daphne's own stays)."""
    from daphne.http_protocol import HTTPFactory

    def log(self: Any, request: Any) -> None:
        """daphne's access log already has this request."""

    HTTPFactory.log = log  # type: ignore[method-assign]


def reap_finished_connections() -> None:
    """A connection leaves daphne's table as soon as it is closed and its application instance is done.

    performance: daphne keeps every finished HTTP request in `Server.connections` until a sweep that runs
    once a second; at 2,500 requests/s a process swept (and freed) ~2,700 of them in one go, a 20-45 ms
    stall of the event loop every second, the largest part of the HTTP p99 of a do-nothing app on daphne
    (tests/load/floor_asgi.py). The sweep still runs, for what is left: connections still open, and
    applications that raised (the sweep logs their exception, as before).
    """
    from daphne.server import Server

    if getattr(Server.create_application, "_reaps", False):
        return
    create, disconnected = Server.create_application, Server.protocol_disconnected

    @functools.wraps(create)
    def create_application(self: Any, protocol: Any, scope: Any) -> Any:
        queue = create(self, protocol, scope)
        instance = self.connections.get(protocol, {}).get("application_instance")
        if instance is not None:
            instance.add_done_callback(lambda _: _reap(self, protocol))
        return queue

    @functools.wraps(disconnected)
    def protocol_disconnected(self: Any, protocol: Any) -> None:
        if protocol not in self.connections:  # told twice (a rejected socket, say), reaped in between
            return
        disconnected(self, protocol)
        _reap(self, protocol)

    create_application._reaps = True  # type: ignore[attr-defined]
    Server.create_application = create_application  # type: ignore[method-assign]
    Server.protocol_disconnected = protocol_disconnected  # type: ignore[method-assign]


def _reap(server: Any, protocol: Any) -> None:
    details = server.connections.get(protocol)
    if not details or "disconnected" not in details:
        return
    instance = details.get("application_instance")
    if instance is None or not instance.done():
        return
    if not instance.cancelled() and instance.exception() is not None:
        return  # the sweep logs it
    del server.connections[protocol]

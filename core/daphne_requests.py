"""daphne's HTTP requests without Twisted's form parsing or its second access log line.

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

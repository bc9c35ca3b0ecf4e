"""A local SendGrid v3 Mail Send API for tests: the real anymail SendGrid backend talks to it over HTTP.

Wire format (VENDORS.md): `POST {url}mail/send` with `Authorization: Bearer <key>` and a JSON body
(personalizations, from, subject, content ...) -> 202 with an empty body and `X-Message-Id`.
Errors -> `{"errors": [{"field": ..., "message": ..., "help": null}]}` with 400/401/404/413/429/5xx.

    state.fail_next(2, status=503)   # the next two sends fail, then sends succeed again
    state.accepted                   # JSON bodies of accepted sends; state.requests has every attempt
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.http import FakeHandler, start_fake_server

API_KEY = "SG.fake-test-key"


@dataclass
class CapturedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int


@dataclass
class SendGridState:
    api_key: str = API_KEY
    requests: list[CapturedRequest] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    failures: deque[tuple[int, dict[str, Any]]] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, times: int = 1, *, status: int = 500, message: str = "Internal server error") -> None:
        with self.lock:
            for _ in range(times):
                self.failures.append((status, error_body(message)))

    def mail_sends(self) -> list[CapturedRequest]:
        return [r for r in self.requests if r.path.endswith("/mail/send")]


def error_body(message: str, field_name: str | None = None) -> dict[str, Any]:
    return {"errors": [{"field": field_name, "message": message, "help": None}]}


def _validate(payload: Any) -> dict[str, Any] | None:
    """The checks SendGrid applies that a real client could get wrong; None when the payload is fine."""
    if not isinstance(payload, dict):
        return error_body("Bad Request", None)
    personalizations = payload.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        return error_body(
            "The personalizations field is required and must have at least one personalization.", "personalizations"
        )
    for index, personalization in enumerate(personalizations):
        recipients = personalization.get("to") if isinstance(personalization, dict) else None
        if not recipients or not all(isinstance(r, dict) and "@" in str(r.get("email", "")) for r in recipients):
            return error_body(
                "The to array is required for all personalization objects.", f"personalizations.{index}.to"
            )
    if not isinstance(payload.get("from"), dict) or "@" not in str(payload["from"].get("email", "")):
        return error_body("The from email does not contain a valid address.", "from.email")
    has_subject = bool(payload.get("subject")) or all(p.get("subject") for p in personalizations)
    if not has_subject and not payload.get("template_id"):
        return error_body(
            "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.",
            "subject",
        )
    content = payload.get("content")
    if not payload.get("template_id") and (
        not isinstance(content, list) or not content or not all(c.get("type") and c.get("value") for c in content)
    ):
        return error_body("Unless a valid template_id is provided, the content parameter is required.", "content")
    return None


class SendGridHandler(FakeHandler):
    state: SendGridState  # type: ignore[assignment]

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        raw = self.read_body()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        status, payload, headers = self._answer(body)
        with self.state.lock:
            self.state.requests.append(CapturedRequest("POST", self.path, dict(self.headers.items()), body, status))
            if status == 202:
                self.state.accepted.append(body)
        if status == 202:
            self.send_response(202)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_json(status, payload)

    def _answer(self, body: Any) -> tuple[int, Any, dict[str, str]]:
        if self.path.rstrip("/") != "/v3/mail/send":
            return 404, error_body("Not Found"), {}
        if self.headers.get("Authorization", "") != f"Bearer {self.state.api_key}":
            return 401, error_body("The provided authorization grant is invalid, expired, or revoked"), {}
        with self.state.lock:
            injected = self.state.failures.popleft() if self.state.failures else None
        if injected:
            return injected[0], injected[1], {}
        problem = _validate(body)
        if problem:
            return 400, problem, {}
        return 202, None, {"X-Message-Id": f"fake-{next(self.state.ids):06d}"}


@dataclass
class FakeSendGrid:
    api_url: str  # ends with "/v3/", as ANYMAIL["SENDGRID_API_URL"] expects
    state: SendGridState


@contextmanager
def run_fake_sendgrid(api_key: str = API_KEY) -> Iterator[FakeSendGrid]:
    state = SendGridState(api_key=api_key)
    with start_fake_server(SendGridHandler, state=state) as server:
        yield FakeSendGrid(api_url=f"{server.base_url}/v3/", state=state)

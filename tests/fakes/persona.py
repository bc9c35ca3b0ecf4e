"""A local Persona API (VENDORS.md) for running the real PersonaClient in tests.

Routes under /api/v1: POST /inquiries (Idempotency-Key replays the first answer), GET /inquiries/{id},
POST /inquiries/{id}/generate-one-time-link. Bearer key and Persona-Version are required.
Controls: `state.set_status(id, status)`, `state.delay` (seconds), `state.fail_status` (HTTP status
for every request), `state.requests` (Counter of "METHOD path-kind"). Webhook helpers sign bodies the
way Persona does: `Persona-Signature: t=<unix>,v1=HMAC-SHA256(secret, "t.body")`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.fakes.http import FakeHandler, start_fake_server

API_KEY = "persona_sandbox_fake_key"
WEBHOOK_SECRET = "wbhsec_fake_persona_secret"
TEMPLATE_ID = "itmpl_fake_template"


@dataclass
class FakePersonaState:
    api_key: str = API_KEY
    delay: float = 0.0
    fail_status: int | None = None
    inquiries: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotent: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    headers_seen: list[dict[str, str]] = field(default_factory=list)
    base_url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def set_status(self, inquiry_id: str, status: str) -> None:
        self.inquiries[inquiry_id]["status"] = status
        if status in ("completed", "approved", "declined", "failed"):
            self.inquiries[inquiry_id]["completed-at"] = datetime.now(UTC).isoformat()

    def inquiry_document(self, inquiry_id: str) -> dict[str, Any]:
        return {"type": "inquiry", "id": inquiry_id, "attributes": dict(self.inquiries[inquiry_id])}


class FakePersonaHandler(FakeHandler):
    state: FakePersonaState  # type: ignore[assignment]

    def _errors(self, status: int, title: str, details: str = "") -> None:
        self.send_json(status, {"errors": [{"title": title, "details": details}]})

    def _guard(self, kind: str) -> bool:
        state = self.state
        state.requests[kind] += 1
        state.headers_seen.append(dict(self.headers.items()))
        if state.delay:
            time.sleep(state.delay)
        if state.fail_status:
            self._errors(state.fail_status, "Service unavailable" if state.fail_status >= 500 else "Too many requests")
            return False
        if self.headers.get("Authorization") != f"Bearer {state.api_key}":
            self._errors(401, "Unauthorized", "Bad API key")
            return False
        if not self.headers.get("Persona-Version"):
            self._errors(400, "Bad request", "Persona-Version header is required")
            return False
        return True

    def do_GET(self) -> None:  # noqa: N802
        parts = self.path.strip("/").split("/")
        if len(parts) == 4 and parts[:3] == ["api", "v1", "inquiries"]:
            if not self._guard("GET inquiry"):
                return
            with self.state._lock:
                if parts[3] not in self.state.inquiries:
                    self._errors(404, "Record not found")
                    return
                self.send_json(200, {"data": self.state.inquiry_document(parts[3]), "included": []})
            return
        self._errors(404, "Not found")

    def do_POST(self) -> None:  # noqa: N802
        body = self.read_json() or {}
        parts = self.path.strip("/").split("/")
        state = self.state
        if parts == ["api", "v1", "inquiries"]:
            if not self._guard("POST inquiries"):
                return
            key = self.headers.get("Idempotency-Key", "")
            with state._lock:
                if key and key in state.idempotent:
                    status, payload = state.idempotent[key]
                    self.send_json(status, payload)
                    return
                attributes = (body.get("data") or {}).get("attributes") or {}
                if not str(attributes.get("inquiry-template-id", "")).startswith("itmpl_"):
                    self._errors(422, "Invalid inquiry template", "inquiry-template-id is required")
                    return
                inquiry_id = f"inq_{secrets.token_hex(12)}"
                state.inquiries[inquiry_id] = {
                    "status": "created",
                    "reference-id": attributes.get("reference-id"),
                    "created-at": datetime.now(UTC).isoformat(),
                    "completed-at": None,
                }
                payload = {"data": state.inquiry_document(inquiry_id), "included": []}
                if key:
                    state.idempotent[key] = (201, payload)
            self.send_json(201, payload)
            return
        if len(parts) == 5 and parts[:3] == ["api", "v1", "inquiries"] and parts[4] == "generate-one-time-link":
            if not self._guard("POST one-time-link"):
                return
            with state._lock:
                if parts[3] not in state.inquiries:
                    self._errors(404, "Record not found")
                    return
                link = f"{state.base_url}/verify?code={secrets.token_hex(8)}&inquiry-id={parts[3]}"
                self.send_json(200, {"data": state.inquiry_document(parts[3]), "meta": {"one-time-link": link}})
            return
        self._errors(404, "Not found")


def webhook_body(*, event_name: str, inquiry_id: str, status: str, event_id: str | None = None) -> bytes:
    document = {
        "data": {
            "type": "event",
            "id": event_id or f"evt_{secrets.token_hex(10)}",
            "attributes": {
                "name": event_name,
                "created-at": datetime.now(UTC).isoformat(),
                "payload": {"data": {"type": "inquiry", "id": inquiry_id, "attributes": {"status": status}}},
            },
        }
    }
    return json.dumps(document).encode()


def sign_webhook(body: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={signature}"


@contextmanager
def running_fake_persona(settings: Any) -> Iterator[FakePersonaState]:
    """A running fake Persona; settings point the real client at it."""
    state = FakePersonaState()
    with start_fake_server(FakePersonaHandler, state=state) as server:
        state.base_url = server.base_url
        settings.PERSONA_API_KEY = API_KEY
        settings.PERSONA_API_URL = f"{server.base_url}/api/v1"
        settings.PERSONA_TEMPLATE_ID = TEMPLATE_ID
        settings.PERSONA_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.PERSONA_TIMEOUT = 1.0
        yield state

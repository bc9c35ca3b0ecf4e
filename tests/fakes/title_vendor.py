"""A local title transfer service (VENDORS.md "Title transfer") for running the real TitleVendorClient in tests.

Routes: `POST /v1/title-transfers` (Bearer key; `Idempotency-Key` required: a repeat answers the first
transfer), `GET /v1/title-transfers/{id}`. Errors are `{"errors": [{"code", "message", "field"}]}`.
Controls: `advance(id, status, title_number=..., reason=...)`, `fail_status`, `reject_next` (a 422 for the next
create), `requests` (Counter). `webhook(...)` builds a signed `title_transfer.status_changed` delivery.
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

API_KEY = "fake-title-key"
WEBHOOK_SECRET = "fake-title-webhook-secret"  # noqa: S105 - a test credential
REQUIRED = (
    "external_id",
    "vin",
    "year",
    "make",
    "model",
    "sale_date",
    "sale_price",
    "odometer",
    "seller",
    "buyer",
    "state",
)


@dataclass
class FakeTitleState:
    api_key: str = API_KEY
    fail_status: int | None = None
    reject_next: str = ""
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotent: dict[str, str] = field(default_factory=dict)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def advance(self, transfer_id: str, status: str, *, title_number: str = "", reason: str = "") -> dict[str, Any]:
        with self._lock:
            transfer = self.transfers[transfer_id]
            transfer.update(status=status, updated_at=datetime.now(UTC).isoformat())
            if title_number:
                transfer["title_number"] = title_number
            if reason:
                transfer["reason"] = reason
            return dict(transfer)


class FakeTitleHandler(FakeHandler):
    state: FakeTitleState  # type: ignore[assignment]

    def _errors(self, status: int, code: str, message: str, field_name: str = "") -> None:
        self.send_json(status, {"errors": [{"code": code, "message": message, "field": field_name}]})

    def _guard(self, kind: str) -> bool:
        self.state.requests[kind] += 1
        if self.state.fail_status:
            self._errors(self.state.fail_status, "unavailable", "Service unavailable")
            return False
        if self.headers.get("Authorization") != f"Bearer {self.state.api_key}":
            self._errors(401, "unauthorized", "Bad API key")
            return False
        return True

    def do_POST(self) -> None:  # noqa: N802
        raw = self.read_body()
        if self.path.rstrip("/") != "/v1/title-transfers":
            self._errors(404, "not_found", "Not found")
            return
        if not self._guard("POST transfers"):
            return
        key = self.headers.get("Idempotency-Key", "")
        if not key:
            self._errors(400, "idempotency_key_required", "Idempotency-Key is required")
            return
        body = json.loads(raw or b"{}")
        with self.state._lock:
            if key in self.state.idempotent:
                self.send_json(201, self.state.transfers[self.state.idempotent[key]])
                return
            self.state.bodies.append(body)
            missing = [name for name in REQUIRED if name not in body or body[name] in ("", None)]
            if missing:
                self._errors(422, "missing_field", f"{missing[0]} is required", missing[0])
                return
            if self.state.reject_next:
                message, self.state.reject_next = self.state.reject_next, ""
                self._errors(422, "invalid", message, "seller")
                return
            transfer_id = f"tt_{secrets.token_hex(8)}"
            transfer = {
                "id": transfer_id,
                "external_id": body["external_id"],
                "status": "submitted",
                "title_number": "",
                "reason": "",
                "updated_at": datetime.now(UTC).isoformat(),
            }
            self.state.transfers[transfer_id] = transfer
            self.state.idempotent[key] = transfer_id
        self.send_json(201, transfer)

    def do_GET(self) -> None:  # noqa: N802
        parts = self.path.strip("/").split("/")
        if len(parts) != 3 or parts[:2] != ["v1", "title-transfers"]:
            self._errors(404, "not_found", "Not found")
            return
        if not self._guard("GET transfer"):
            return
        with self.state._lock:
            found = self.state.transfers.get(parts[2])
        if found is None:
            self._errors(404, "not_found", "No such transfer")
            return
        self.send_json(200, found)


def webhook(
    transfer: dict[str, Any], *, event_id: str | None = None, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> tuple[bytes, str]:
    """A signed delivery: (body, X-DLR-Signature header)."""
    body = json.dumps(
        {
            "id": event_id or f"evt_{secrets.token_hex(8)}",
            "type": "title_transfer.status_changed",
            "created_at": datetime.now(UTC).isoformat(),
            "data": transfer,
        }
    ).encode()
    t = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={t},v1={signature}"


@contextmanager
def running_fake_title_service(settings: Any) -> Iterator[FakeTitleState]:
    state = FakeTitleState()
    with start_fake_server(FakeTitleHandler, state=state) as server:
        settings.TITLE_TRANSFER_API_KEY = API_KEY
        settings.TITLE_TRANSFER_API_URL = server.base_url
        settings.TITLE_TRANSFER_WEBHOOK_SECRET = WEBHOOK_SECRET
        settings.TITLE_TRANSFER_TIMEOUT = 2.0
        yield state

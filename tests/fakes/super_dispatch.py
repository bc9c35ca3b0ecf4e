"""A local Super Dispatch shipper API (VENDORS.md) for running the real SuperDispatchClient in tests.

Routes: `POST /oauth/token?grant_type=client_credentials` (Basic id:secret → bearer token with `expires_in`),
`POST /v1/public/orders`, `GET /v1/public/orders/{guid}`, `PATCH /v1/public/orders/{guid}` (only
`application/merge-patch+json`), `POST /v1/public/webhooks/{action}/subscribe` → verification token.
Success bodies are `{"status": "success", "data": {"object": …}}`, errors `{"status": "fail", "data":
{"message": …}}` (the choices written in fulfillment/super_dispatch.py).

Controls on the state: `advance(guid, status, **details)` moves an order as a carrier would; `expire_tokens()`
makes every issued token answer 401; `fail_status` answers every API call with that HTTP status; `requests`
counts calls ("POST token", "POST orders", "GET order", "PATCH order", "POST subscribe"); `tokens_issued`.
`webhook_body(...)` builds a webhook the way Super Dispatch sends it.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.http import FakeHandler, start_fake_server

CLIENT_ID = "fake-sd-client"
CLIENT_SECRET = "fake-sd-secret"  # noqa: S105 - a test credential


@dataclass
class FakeSuperDispatchState:
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    token_lifetime: int = 3600
    fail_status: int | None = None
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    tokens_issued: int = 0
    subscriptions: dict[str, dict[str, str]] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def advance(self, guid: str, status: str, **details: Any) -> dict[str, Any]:
        """Move an order as the carrier network would: "accepted" assigns a carrier and driver with ETAs,
        "picked_up" and "delivered" complete their leg (the delivery signed and photographed)."""
        now = datetime.now(UTC)
        with self._lock:
            order = self.orders[guid]
            order["status"] = status
            if status in ("accepted", "picked_up", "delivered"):
                order["carrier"] = details.get("carrier", {"name": "Prairie Haulers LLC", "phone": "+1 651 555 0110"})
                order["driver"] = details.get("driver", {"name": "Sam Ortiz", "phone": "+1 651 555 0111"})
                order["pickup"]["scheduled_at"] = (now + timedelta(days=1)).isoformat()
                order["delivery"]["scheduled_at"] = (now + timedelta(days=3)).isoformat()
            if status in ("picked_up", "delivered"):
                order["pickup"]["completed_at"] = now.isoformat()
            if status == "delivered":
                order["delivery"]["completed_at"] = now.isoformat()
                order["delivery"]["signature_name"] = details.get("signature_name", "B. Buyer")
                order["photos"] = [{"url": "https://photos.example/delivery-1.jpg", "type": "delivery"}]
            return dict(order)


class FakeSuperDispatchHandler(FakeHandler):
    state: FakeSuperDispatchState  # type: ignore[assignment]

    def _fail(self, status: int, message: str) -> None:
        self.send_json(status, {"status": "fail", "data": {"message": message}})

    def _ok(self, status: int, obj: dict[str, Any]) -> None:
        self.send_json(status, {"status": "success", "data": {"object": obj}})

    def _authorized(self, kind: str) -> bool:
        self.state.requests[kind] += 1
        if self.state.fail_status:
            self._fail(self.state.fail_status, "Service unavailable")
            return False
        header = self.headers.get("Authorization", "")
        if not header.startswith("Bearer ") or header.removeprefix("Bearer ") not in self.state.tokens:
            self._fail(401, "Invalid or expired token")
            return False
        return True

    def do_POST(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        path = parts.path.strip("/").split("/")
        if path == ["oauth", "token"]:
            self._token(parse_qs(parts.query))
            return
        raw = self.read_body()
        if path == ["v1", "public", "orders"]:
            if not self._authorized("POST orders"):
                return
            body = json.loads(raw or b"{}")
            self.state.bodies.append(body)
            missing = [
                name
                for name in ("number", "price", "transport_type", "pickup", "delivery", "vehicles")
                if not body.get(name)
            ]
            if missing or body.get("transport_type") not in ("OPEN", "ENCLOSED"):
                self._fail(422, f"Invalid order: {', '.join(missing) or 'transport_type'}")
                return
            guid = secrets.token_hex(16)
            with self.state._lock:
                self.state.orders[guid] = {
                    "guid": guid,
                    "number": body["number"],
                    "status": "new",
                    "price": body["price"],
                    "transport_type": body["transport_type"],
                    "pickup": {**body["pickup"], "completed_at": None},
                    "delivery": {**body["delivery"], "scheduled_at": None, "completed_at": None},
                    "vehicles": body["vehicles"],
                    "carrier": None,
                    "driver": None,
                    "photos": [],
                }
                created = dict(self.state.orders[guid])
            self._ok(201, created)
            return
        if len(path) == 5 and path[:3] == ["v1", "public", "webhooks"] and path[4] == "subscribe":
            if not self._authorized("POST subscribe"):
                return
            body = json.loads(raw or b"{}")
            if not str(body.get("callback_url", "")).startswith(("http://", "https://")):
                self._fail(422, "callback_url is required")
                return
            token = secrets.token_urlsafe(24)
            self.state.subscriptions[path[3]] = {"callback_url": body["callback_url"], "verification_token": token}
            self._ok(201, {"action": path[3], "callback_url": body["callback_url"], "verification_token": token})
            return
        self._fail(404, "Not found")

    def _token(self, query: dict[str, list[str]]) -> None:
        self.state.requests["POST token"] += 1
        if query.get("grant_type") != ["client_credentials"]:
            self.send_json(400, {"error": "unsupported_grant_type"})
            return
        expected = base64.b64encode(f"{self.state.client_id}:{self.state.client_secret}".encode()).decode()
        if self.headers.get("Authorization") != f"Basic {expected}":
            self.send_json(401, {"error": "invalid_client"})
            return
        token = secrets.token_urlsafe(24)
        with self.state._lock:
            self.state.tokens.add(token)
            self.state.tokens_issued += 1
        self.send_json(200, {"access_token": token, "token_type": "bearer", "expires_in": self.state.token_lifetime})

    def _order(self, guid: str) -> dict[str, Any] | None:
        with self.state._lock:
            found = self.state.orders.get(guid)
            return dict(found) if found else None

    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path.strip("/").split("/")
        if len(path) == 4 and path[:3] == ["v1", "public", "orders"]:
            if not self._authorized("GET order"):
                return
            found = self._order(path[3])
            if found is None:
                self._fail(404, "Order not found")
                return
            self._ok(200, found)
            return
        self._fail(404, "Not found")

    def do_PATCH(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path.strip("/").split("/")
        raw = self.read_body()
        if len(path) == 4 and path[:3] == ["v1", "public", "orders"]:
            if not self._authorized("PATCH order"):
                return
            if self.headers.get("Content-Type") != "application/merge-patch+json":
                self._fail(415, "Use application/merge-patch+json")
                return
            with self.state._lock:
                order = self.state.orders.get(path[3])
                if order is None:
                    self._fail(404, "Order not found")
                    return
                _merge(order, json.loads(raw or b"{}"))
                updated = dict(order)
            self._ok(200, updated)
            return
        self._fail(404, "Not found")


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """RFC 7386 JSON merge patch."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value


def webhook_body(*, action: str, guid: str, action_date: str | None = None) -> bytes:
    return json.dumps(
        {"action": action, "action_date": action_date or datetime.now(UTC).isoformat(), "order_guid": guid}
    ).encode()


@contextmanager
def running_fake_super_dispatch(settings: Any) -> Iterator[FakeSuperDispatchState]:
    """A running fake; settings point the real client at it."""
    state = FakeSuperDispatchState()
    with start_fake_server(FakeSuperDispatchHandler, state=state) as server:
        settings.SUPER_DISPATCH_CLIENT_ID = CLIENT_ID
        settings.SUPER_DISPATCH_CLIENT_SECRET = CLIENT_SECRET
        settings.SUPER_DISPATCH_API_URL = server.base_url
        settings.SUPER_DISPATCH_TIMEOUT = 2.0
        yield state

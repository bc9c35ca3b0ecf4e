"""Super Dispatch adapter: the carrier network that moves a sold vehicle door to door (VENDORS.md).

Interface: `get_carrier_network()` returns the real `SuperDispatchClient` when SUPER_DISPATCH_CLIENT_ID and
_SECRET are set, else `SandboxCarrierNetwork` (used by `make run`): same methods; its orders live in the
database (`SandboxRecord`) and move new → accepted (a carrier is assigned) → picked_up → delivered, one step
every SUPER_DISPATCH_SANDBOX_STEP_SECONDS (60 by default; the browser tests use 1).

The real client:
- OAuth client credentials: `POST /oauth/token?grant_type=client_credentials` with Basic `id:secret` →
  `{access_token, token_type, expires_in}`; the token is kept in the cache until a minute before it expires,
  shared by every process, and fetched again once if a call answers 401.
- `POST /v1/public/orders`, `GET /v1/public/orders/{guid}`, `PATCH /v1/public/orders/{guid}` with
  `application/merge-patch+json`; success is `{"status": "success", "data": {"object": {...}}}`.
- `POST /v1/public/webhooks/{action}/subscribe {callback_url}` → `{"status": "success", "data": {"object":
  {"verification_token": ...}}}`.

Choices where the public documentation is silent (tests/fakes/super_dispatch.py follows them):
- The order object carries `carrier {name, phone}`, `driver {name, phone}`, `pickup {scheduled_at,
  completed_at, venue}`, `delivery {scheduled_at, completed_at, signature_name, venue}` and `photos [{url}]`;
  missing parts are read as unknown.
- Errors are `{"status": "fail", "data": {"message": ..., "details": {...}}}`; a 4xx means the request was
  refused (nothing was created), a 5xx or no answer that the outcome is unknown (our order number makes a
  retry findable by staff; the booking task retries only bookings that have no guid yet).
- Cancelling is a merge-patch `{"status": "canceled"}`.
- A webhook carries no event id: `{action, action_date, order_guid}` is the de-duplication key, and the
  handler fetches the order rather than trusting the payload.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.errors import DomainError, VendorUnavailable
from core.vendor_http import VendorHttpError, request
from core.webhooks import WebhookRejected

VENDOR = "super_dispatch"
TRY_AGAIN = "The carrier network is not answering right now. We'll keep trying."
WEBHOOK_ACTIONS = (
    "order.created",
    "order.picked_up",
    "order.delivered",
    "order.invoiced",
    "order.canceled",
    "order.modified",
    "offer.accepted",
    "offer.declined",
)


class CarrierRefused(DomainError):
    """The carrier network refused the request itself (bad data); retrying the same request will not help."""

    status_code = 502
    code = "carrier_refused"


@dataclass(frozen=True)
class Venue:
    name: str
    address: str
    city: str
    state: str
    zip: str
    contact_name: str = ""
    contact_phone: str = ""

    def as_json(self) -> dict[str, str]:
        return {
            "name": self.name,
            "address": self.address,
            "city": self.city,
            "state": self.state,
            "zip": self.zip,
            "contact_name": self.contact_name,
            "contact_phone": self.contact_phone,
        }


@dataclass(frozen=True)
class OrderRequest:
    number: str
    price: str  # dollars and cents as a string
    transport_type: str  # OPEN or ENCLOSED
    customer: dict[str, str]
    pickup: Venue
    delivery: Venue
    pickup_scheduled_at: datetime
    vin: str
    year: int
    make: str
    model: str
    vehicle_type: str
    is_inoperable: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "price": self.price,
            "transport_type": self.transport_type,
            "customer": self.customer,
            "pickup": {"scheduled_at": self.pickup_scheduled_at.isoformat(), "venue": self.pickup.as_json()},
            "delivery": {"venue": self.delivery.as_json()},
            "vehicles": [
                {
                    "vin": self.vin,
                    "year": self.year,
                    "make": self.make,
                    "model": self.model,
                    "type": self.vehicle_type,
                    "is_inoperable": self.is_inoperable,
                }
            ],
        }


@dataclass(frozen=True)
class CarrierOrder:
    guid: str
    status: str
    number: str = ""
    carrier_name: str = ""
    carrier_phone: str = ""
    driver_name: str = ""
    driver_phone: str = ""
    pickup_eta: datetime | None = None
    delivery_eta: datetime | None = None
    picked_up_at: datetime | None = None
    delivered_at: datetime | None = None
    signature_name: str = ""
    photos: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class CarrierWebhook:
    action: str
    action_date: str
    order_guid: str

    @property
    def event_id(self) -> str:
        return f"{self.action}:{self.order_guid}:{self.action_date}"[:128]


class CarrierNetwork(Protocol):
    def create_order(self, order: OrderRequest) -> CarrierOrder: ...

    def get_order(self, guid: str) -> CarrierOrder: ...

    def update_order(self, guid: str, changes: dict[str, Any]) -> CarrierOrder: ...

    def subscribe(self, *, action: str, callback_url: str) -> str: ...


def get_carrier_network() -> CarrierNetwork:
    if settings.SUPER_DISPATCH_CLIENT_ID and settings.SUPER_DISPATCH_CLIENT_SECRET:
        return SuperDispatchClient(
            client_id=settings.SUPER_DISPATCH_CLIENT_ID,
            client_secret=settings.SUPER_DISPATCH_CLIENT_SECRET,
            base_url=settings.SUPER_DISPATCH_API_URL,
            timeout=settings.SUPER_DISPATCH_TIMEOUT,
        )
    return SandboxCarrierNetwork()


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parse_datetime(str(value))
    except ValueError:
        return None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    return parsed


def order_from(payload: dict[str, Any]) -> CarrierOrder:
    """Read an order object (tolerant: a part the vendor left out is unknown, never an error)."""
    carrier = payload.get("carrier") or {}
    driver = payload.get("driver") or {}
    pickup = payload.get("pickup") or {}
    delivery = payload.get("delivery") or {}
    photos = tuple(str(p.get("url")) for p in payload.get("photos") or [] if isinstance(p, dict) and p.get("url"))
    return CarrierOrder(
        guid=str(payload.get("guid") or ""),
        status=str(payload.get("status") or ""),
        number=str(payload.get("number") or ""),
        carrier_name=str(carrier.get("name") or ""),
        carrier_phone=str(carrier.get("phone") or ""),
        driver_name=str(driver.get("name") or ""),
        driver_phone=str(driver.get("phone") or ""),
        pickup_eta=_when(pickup.get("scheduled_at")),
        delivery_eta=_when(delivery.get("scheduled_at")),
        picked_up_at=_when(pickup.get("completed_at")),
        delivered_at=_when(delivery.get("completed_at")),
        signature_name=str(delivery.get("signature_name") or ""),
        photos=photos,
    )


class SuperDispatchClient:
    def __init__(self, *, client_id: str, client_secret: str, base_url: str, timeout: float = 10.0) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        digest = hashlib.sha256(f"{self.base_url}|{client_id}".encode()).hexdigest()[:16]
        self.token_key = f"superdispatch:token:{digest}"

    # --- token ------------------------------------------------------------------------------------------
    def _token(self, *, fresh: bool = False) -> str:
        if not fresh and (cached := cache.get(self.token_key)):
            return str(cached)
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        response = request(
            VENDOR,
            "POST",
            f"{self.base_url}/oauth/token?grant_type=client_credentials",
            timeout=self.timeout,
            headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
        )
        payload = _json(response)
        token = (payload or {}).get("access_token") if isinstance(payload, dict) else None
        if response.status_code != 200 or not token:
            raise VendorHttpError(TRY_AGAIN, status=response.status_code, payload=payload)
        lifetime = int(payload.get("expires_in") or 0)
        if lifetime > 60:
            cache.set(self.token_key, token, lifetime - 60)
        return str(token)

    # --- calls ------------------------------------------------------------------------------------------
    def _call(self, method: str, path: str, *, body: Any = None, merge_patch: bool = False) -> dict[str, Any]:
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self._token(fresh=attempt == 2)}", "Accept": "application/json"}
            data = None
            if body is not None:
                headers["Content-Type"] = "application/merge-patch+json" if merge_patch else "application/json"
                data = json.dumps(body)
            response = request(
                VENDOR, method, f"{self.base_url}{path}", timeout=self.timeout, headers=headers, data=data
            )
            if response.status_code == 401 and attempt == 1:
                cache.delete(self.token_key)
                continue
            break
        payload = _json(response)
        if 400 <= response.status_code < 500:
            message = ((payload or {}).get("data") or {}).get("message") if isinstance(payload, dict) else None
            raise CarrierRefused(
                f"The carrier network refused the request: {message or response.status_code}",
                details={"status": response.status_code},
            )
        if response.status_code >= 500 or not isinstance(payload, dict) or payload.get("status") != "success":
            raise VendorHttpError(TRY_AGAIN, status=response.status_code, payload=payload)
        return dict((payload.get("data") or {}).get("object") or {})

    def create_order(self, order: OrderRequest) -> CarrierOrder:
        return order_from(self._call("POST", "/v1/public/orders", body=order.as_json()))

    def get_order(self, guid: str) -> CarrierOrder:
        return order_from(self._call("GET", f"/v1/public/orders/{guid}"))

    def update_order(self, guid: str, changes: dict[str, Any]) -> CarrierOrder:
        return order_from(self._call("PATCH", f"/v1/public/orders/{guid}", body=changes, merge_patch=True))

    def subscribe(self, *, action: str, callback_url: str) -> str:
        found = self._call("POST", f"/v1/public/webhooks/{action}/subscribe", body={"callback_url": callback_url})
        token = str(found.get("verification_token") or "")
        if not token:
            raise VendorUnavailable(TRY_AGAIN)
        return token


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


# --- sandbox ------------------------------------------------------------------------------------------------

SANDBOX_CARRIER = {"name": "Northern Lights Auto Transport (sandbox)", "phone": "+1 612 555 0142"}
SANDBOX_DRIVER = {"name": "Dana Lindqvist", "phone": "+1 612 555 0178"}
SANDBOX_STEPS = ("new", "accepted", "picked_up", "delivered")


class SandboxCarrierNetwork:
    """Super Dispatch without Super Dispatch: each order advances one step every
    SUPER_DISPATCH_SANDBOX_STEP_SECONDS after it was created, with a made-up carrier and driver."""

    def _step(self) -> timedelta:
        return timedelta(seconds=settings.SUPER_DISPATCH_SANDBOX_STEP_SECONDS)

    def create_order(self, order: OrderRequest) -> CarrierOrder:
        from fulfillment.models import SandboxRecord

        guid = secrets.token_hex(16)
        try:
            with transaction.atomic():
                SandboxRecord.objects.create(
                    vendor=VENDOR,
                    external_id=guid,
                    idempotency_key=f"number:{order.number}",
                    data={"order": order.as_json()},
                    created_at=timezone.now(),
                )
        except IntegrityError:  # the same order number again: the vendor would answer with the existing order
            record = SandboxRecord.objects.get(vendor=VENDOR, idempotency_key=f"number:{order.number}")
            return self.get_order(record.external_id)
        return self.get_order(guid)

    def get_order(self, guid: str) -> CarrierOrder:
        from fulfillment.models import SandboxRecord

        record = SandboxRecord.objects.filter(vendor=VENDOR, external_id=guid).first()
        if record is None:
            raise CarrierRefused("The carrier network does not know this order.")
        step = self._step()
        elapsed = timezone.now() - record.created_at
        reached = min(int(elapsed / step), len(SANDBOX_STEPS) - 1) if step.total_seconds() > 0 else 3
        status = "canceled" if record.data.get("canceled") else SANDBOX_STEPS[reached]
        created = record.created_at
        number = record.data["order"]["number"]
        delivery = record.data["order"]["delivery"]["venue"]
        assigned = reached >= 1 and status != "canceled"
        return CarrierOrder(
            guid=guid,
            status=status,
            number=number,
            carrier_name=SANDBOX_CARRIER["name"] if assigned else "",
            carrier_phone=SANDBOX_CARRIER["phone"] if assigned else "",
            driver_name=SANDBOX_DRIVER["name"] if assigned else "",
            driver_phone=SANDBOX_DRIVER["phone"] if assigned else "",
            pickup_eta=created + 2 * step if assigned else None,
            delivery_eta=created + 3 * step if assigned else None,
            picked_up_at=created + 2 * step if reached >= 2 and status != "canceled" else None,
            delivered_at=created + 3 * step if reached >= 3 and status != "canceled" else None,
            signature_name=delivery.get("contact_name", "") if reached >= 3 and status != "canceled" else "",
        )

    def update_order(self, guid: str, changes: dict[str, Any]) -> CarrierOrder:
        from fulfillment.models import SandboxRecord

        with transaction.atomic():
            record = SandboxRecord.objects.select_for_update().filter(vendor=VENDOR, external_id=guid).first()
            if record is None:
                raise CarrierRefused("The carrier network does not know this order.")
            if changes.get("status") in ("canceled", "cancelled"):
                record.data["canceled"] = True
            record.data.setdefault("changes", []).append(changes)
            record.save(update_fields=["data"])
        return self.get_order(guid)

    def subscribe(self, *, action: str, callback_url: str) -> str:
        return f"sandbox-{action}-{secrets.token_hex(12)}"


def is_sandbox() -> bool:
    return not (settings.SUPER_DISPATCH_CLIENT_ID and settings.SUPER_DISPATCH_CLIENT_SECRET)


# --- webhooks -----------------------------------------------------------------------------------------------


def parse_webhook(body: bytes) -> CarrierWebhook:
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise WebhookRejected("body is not JSON", 400) from exc
    if not isinstance(document, dict):
        raise WebhookRejected("not a Super Dispatch event", 400)
    action = str(document.get("action") or "")
    guid = str(document.get("order_guid") or document.get("offer_guid") or "")
    if not action or not guid:
        raise WebhookRejected("not a Super Dispatch event: action and order_guid are required", 400)
    return CarrierWebhook(action=action, action_date=str(document.get("action_date") or ""), order_guid=guid)


def verify_webhook_token(*, header: str, expected: str | None) -> None:
    """The header must equal the subscription's verification token (compared in constant time)."""
    if not header:
        raise WebhookRejected("missing verification token", 401)
    if not expected or not hmac.compare_digest(header.encode(), expected.encode()):
        raise WebhookRejected("bad verification token", 401)

"""Title transfer adapter (VENDORS.md "Title transfer"): files the transfer of a sold vehicle's title.

No public "DLR DMV" API exists; this contract is modelled on public title-processing APIs and a real vendor
slots in behind the same interface. `get_title_service()` returns the real `TitleVendorClient` when
TITLE_TRANSFER_API_KEY and _API_URL are set, else `SandboxTitleService` (used by `make run`): transfers live in
the database (`SandboxRecord`) and move submitted → filed → accepted → title_issued, one step every
TITLE_TRANSFER_SANDBOX_STEP_SECONDS (60 by default; the browser tests use 1).

The real client:
- `POST {base}/v1/title-transfers` with `Authorization: Bearer <key>` and `Idempotency-Key` (a retry with the
  same key answers the first transfer), body `{external_id, vin, year, make, model, sale_date, sale_price,
  odometer{reading, status}, seller{…, dealer_license}, buyer{name, address, dl_number}, lien, state}` →
  `201 {id, status: "submitted", …}`; `GET {base}/v1/title-transfers/{id}`.
- Errors `{"errors": [{"code", "message", "field"}]}`: a 4xx is a refusal (TitleFilingRefused, shown to staff),
  a 5xx or no answer is "try again" (VendorUnavailable).

Choices where the contract is silent (tests/fakes/title_vendor.py follows them):
- A transfer object is `{id, external_id, status, title_number, reason, updated_at}`.
- The webhook body is `{"id": "evt_…", "type": "title_transfer.status_changed", "created_at", "data":
  <transfer>}`, signed `X-DLR-Signature: t=<unix>,v1=<HMAC-SHA256(secret, "t.body")>` (several pairs during a
  secret rotation); de-duplicated on the event id; stale signatures (TITLE_TRANSFER_WEBHOOK_TOLERANCE_SECONDS)
  are refused.
- The buyer's driver's license number is not collected by the marketplace: `dl_number` is sent empty and the
  vendor collects it from the buyer.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import DomainError
from core.vendor_http import VendorHttpError, request
from core.webhooks import WebhookRejected, verify_timestamped_signature

VENDOR = "title_transfer"
TRY_AGAIN = "The title service is not answering right now. We'll keep trying."


class TitleFilingRefused(DomainError):
    """The title service refused the filing itself (a field it does not accept)."""

    status_code = 502
    code = "title_filing_refused"


@dataclass(frozen=True)
class TitleTransfer:
    id: str
    status: str
    external_id: str = ""
    title_number: str = ""
    reason: str = ""


@dataclass(frozen=True)
class TitleEvent:
    id: str
    type: str
    transfer: TitleTransfer


class TitleService(Protocol):
    def create_transfer(self, *, body: dict[str, Any], idempotency_key: str) -> TitleTransfer: ...

    def get_transfer(self, transfer_id: str) -> TitleTransfer: ...


def get_title_service() -> TitleService:
    if settings.TITLE_TRANSFER_API_KEY and settings.TITLE_TRANSFER_API_URL:
        return TitleVendorClient(
            api_key=settings.TITLE_TRANSFER_API_KEY,
            base_url=settings.TITLE_TRANSFER_API_URL,
            timeout=settings.TITLE_TRANSFER_TIMEOUT,
        )
    return SandboxTitleService()


def transfer_from(payload: dict[str, Any]) -> TitleTransfer:
    return TitleTransfer(
        id=str(payload.get("id") or ""),
        status=str(payload.get("status") or ""),
        external_id=str(payload.get("external_id") or ""),
        title_number=str(payload.get("title_number") or ""),
        reason=str(payload.get("reason") or ""),
    )


class TitleVendorClient:
    def __init__(self, *, api_key: str, base_url: str, timeout: float = 10.0) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, *, body: Any = None, idempotency_key: str = "") -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        response = request(VENDOR, method, f"{self.base_url}{path}", timeout=self.timeout, headers=headers, json=body)
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            errors = (payload or {}).get("errors") if isinstance(payload, dict) else None
            first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
            message = str(first.get("message") or f"HTTP {response.status_code}")
            field = f" ({first['field']})" if first.get("field") else ""
            raise TitleFilingRefused(
                f"The title service refused the filing: {message}{field}", details={"errors": errors}
            )
        if response.status_code >= 400 or not isinstance(payload, dict):
            raise VendorHttpError(TRY_AGAIN, status=response.status_code, payload=payload)
        return payload

    def create_transfer(self, *, body: dict[str, Any], idempotency_key: str) -> TitleTransfer:
        return transfer_from(self._call("POST", "/v1/title-transfers", body=body, idempotency_key=idempotency_key))

    def get_transfer(self, transfer_id: str) -> TitleTransfer:
        return transfer_from(self._call("GET", f"/v1/title-transfers/{transfer_id}"))


# --- sandbox ------------------------------------------------------------------------------------------------

SANDBOX_STEPS = ("submitted", "filed", "accepted", "title_issued")


class SandboxTitleService:
    """The title service without a vendor: each transfer advances one step every
    TITLE_TRANSFER_SANDBOX_STEP_SECONDS after it was submitted, and is issued a made-up title number."""

    def create_transfer(self, *, body: dict[str, Any], idempotency_key: str) -> TitleTransfer:
        from fulfillment.models import SandboxRecord

        transfer_id = f"tt_sandbox_{secrets.token_hex(10)}"
        try:
            with transaction.atomic():
                SandboxRecord.objects.create(
                    vendor=VENDOR,
                    external_id=transfer_id,
                    idempotency_key=idempotency_key,
                    data={"request": body},
                    created_at=timezone.now(),
                )
        except IntegrityError:  # the same Idempotency-Key: the first transfer, as the real service answers
            transfer_id = SandboxRecord.objects.get(vendor=VENDOR, idempotency_key=idempotency_key).external_id
        return self.get_transfer(transfer_id)

    def get_transfer(self, transfer_id: str) -> TitleTransfer:
        from fulfillment.models import SandboxRecord

        record = SandboxRecord.objects.filter(vendor=VENDOR, external_id=transfer_id).first()
        if record is None:
            raise TitleFilingRefused("The title service does not know this transfer.")
        step = timedelta(seconds=settings.TITLE_TRANSFER_SANDBOX_STEP_SECONDS)
        elapsed = timezone.now() - record.created_at
        reached = min(int(elapsed / step), len(SANDBOX_STEPS) - 1) if step.total_seconds() > 0 else 3
        status = SANDBOX_STEPS[reached]
        state = str(record.data.get("request", {}).get("state") or "MN")[:2].upper()
        number = f"{state}{int(record.pk):09d}" if status == "title_issued" else ""
        return TitleTransfer(
            id=transfer_id,
            status=status,
            external_id=str(record.data.get("request", {}).get("external_id") or ""),
            title_number=number,
        )


def is_sandbox() -> bool:
    return not (settings.TITLE_TRANSFER_API_KEY and settings.TITLE_TRANSFER_API_URL)


# --- webhooks -----------------------------------------------------------------------------------------------


def verify_webhook(*, header: str, body: bytes) -> None:
    verify_timestamped_signature(
        header=header,
        body=body,
        secret=settings.TITLE_TRANSFER_WEBHOOK_SECRET,
        tolerance_seconds=settings.TITLE_TRANSFER_WEBHOOK_TOLERANCE_SECONDS,
    )


def parse_webhook(body: bytes) -> TitleEvent:
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise WebhookRejected("body is not JSON", 400) from exc
    if not isinstance(document, dict) or not document.get("id") or not isinstance(document.get("data"), dict):
        raise WebhookRejected("not a title service event", 400)
    transfer = transfer_from(document["data"])
    if not transfer.id:
        raise WebhookRejected("the event names no transfer", 400)
    return TitleEvent(id=str(document["id"]), type=str(document.get("type") or ""), transfer=transfer)

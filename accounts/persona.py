"""Persona adapter: ID verification inquiries (VENDORS.md).

Interface: `get_persona()` returns the real `PersonaClient` when PERSONA_API_KEY is set, else
`SandboxPersona` (used by `make run`): same methods, state in the Django cache, and a local page
(accounts.views.identity_sandbox) that plays the hosted flow with approve/decline buttons.

Choices where the documentation is silent (tests/fakes/persona.py follows them):
- The hosted flow is reached through `POST /inquiries/{id}/generate-one-time-link` (works for a new and
  a resumed inquiry); we append `redirect-uri` to that link. The redirect's `status` is never trusted:
  the return view fetches the inquiry.
- Idempotency-Key on create is "user-<id>-inquiry-<attempt>", so double clicks (and retries after a
  timeout) reuse one inquiry while a declined or expired user can start a fresh one.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from core.errors import VendorUnavailable
from core.vendor_http import VendorHttpError, request
from core.webhooks import WebhookRejected

VENDOR = "persona"
API_VERSION = "2023-01-05"
TRY_AGAIN = "The identity service is not answering right now. Please try again in a minute."
# Event names → the inquiry status they announce, for events whose payload lacks a status.
EVENT_STATUS = {
    "inquiry.created": "created",
    "inquiry.started": "pending",
    "inquiry.completed": "completed",
    "inquiry.failed": "failed",
    "inquiry.expired": "expired",
    "inquiry.marked-for-review": "needs_review",
    "inquiry.approved": "approved",
    "inquiry.declined": "declined",
}


class PersonaNotFound(VendorUnavailable):
    status_code = 404
    code = "not_found"


@dataclass(frozen=True)
class Inquiry:
    id: str
    status: str
    reference_id: str = ""
    created_at: str = ""
    completed_at: str = ""


@dataclass(frozen=True)
class PersonaEvent:
    id: str
    name: str
    inquiry_id: str
    inquiry_status: str


class PersonaGateway(Protocol):
    def create_inquiry(self, *, reference_id: str, idempotency_key: str) -> Inquiry: ...

    def get_inquiry(self, inquiry_id: str) -> Inquiry: ...

    def hosted_flow_url(self, *, inquiry_id: str, redirect_uri: str) -> str: ...


def get_persona() -> PersonaGateway:
    if settings.PERSONA_API_KEY:
        return PersonaClient(
            api_key=settings.PERSONA_API_KEY,
            base_url=settings.PERSONA_API_URL,
            template_id=settings.PERSONA_TEMPLATE_ID,
            timeout=settings.PERSONA_TIMEOUT,
        )
    return SandboxPersona()


def is_sandbox() -> bool:
    return not settings.PERSONA_API_KEY


def _inquiry_from(data: dict[str, Any]) -> Inquiry:
    attributes = data.get("attributes") or {}
    return Inquiry(
        id=str(data.get("id") or ""),
        status=str(attributes.get("status") or ""),
        reference_id=str(attributes.get("reference-id") or ""),
        created_at=str(attributes.get("created-at") or ""),
        completed_at=str(attributes.get("completed-at") or ""),
    )


class PersonaClient:
    def __init__(self, *, api_key: str, base_url: str, template_id: str, timeout: float = 10.0) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.template_id = template_id
        self.timeout = timeout

    def _call(self, method: str, path: str, *, body: Any = None, idempotency_key: str = "") -> dict[str, Any]:
        headers = {
            "Authorization": f"Bearer {self.api_key}",
            "Persona-Version": API_VERSION,
            "Accept": "application/json",
        }
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        response = request(VENDOR, method, f"{self.base_url}{path}", timeout=self.timeout, headers=headers, json=body)
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code == 404:
            raise PersonaNotFound("That verification could not be found.", details={"path": path})
        if response.status_code >= 400 or not isinstance(payload, dict):
            errors = (payload or {}).get("errors") if isinstance(payload, dict) else None
            raise VendorHttpError(TRY_AGAIN, status=response.status_code, payload=errors)
        return payload

    def create_inquiry(self, *, reference_id: str, idempotency_key: str) -> Inquiry:
        attributes = {"inquiry-template-id": self.template_id, "reference-id": reference_id}
        if settings.PERSONA_ENVIRONMENT_ID:
            attributes["environment-id"] = settings.PERSONA_ENVIRONMENT_ID
        payload = self._call(
            "POST", "/inquiries", body={"data": {"attributes": attributes}}, idempotency_key=idempotency_key
        )
        return _inquiry_from(payload.get("data") or {})

    def get_inquiry(self, inquiry_id: str) -> Inquiry:
        return _inquiry_from(self._call("GET", f"/inquiries/{inquiry_id}").get("data") or {})

    def hosted_flow_url(self, *, inquiry_id: str, redirect_uri: str) -> str:
        payload = self._call("POST", f"/inquiries/{inquiry_id}/generate-one-time-link")
        link = str((payload.get("meta") or {}).get("one-time-link") or "")
        if not link:
            raise VendorUnavailable(TRY_AGAIN)
        separator = "&" if "?" in link else "?"
        return f"{link}{separator}{urlencode({'redirect-uri': redirect_uri})}"


class SandboxPersona:
    """Persona without Persona: inquiries live in the cache; the local page decides them."""

    ttl = 7 * 24 * 3600

    @staticmethod
    def _key(inquiry_id: str) -> str:
        return f"persona-sandbox:inquiry:{inquiry_id}"

    def create_inquiry(self, *, reference_id: str, idempotency_key: str) -> Inquiry:
        new_id = f"inq_sandbox{secrets.token_hex(10)}"
        idempotent_key = f"persona-sandbox:idempotency:{idempotency_key}"
        if not cache.add(idempotent_key, new_id, 24 * 3600):
            new_id = cache.get(idempotent_key) or new_id
        if cache.get(self._key(new_id)) is None:
            cache.set(self._key(new_id), {"status": "created", "reference_id": reference_id}, self.ttl)
        return self.get_inquiry(new_id)

    def get_inquiry(self, inquiry_id: str) -> Inquiry:
        record = cache.get(self._key(inquiry_id))
        if record is None:  # the cache was cleared: nothing decided yet as far as we know
            return Inquiry(id=inquiry_id, status="pending")
        return Inquiry(id=inquiry_id, status=record["status"], reference_id=record["reference_id"])

    def hosted_flow_url(self, *, inquiry_id: str, redirect_uri: str) -> str:
        path = reverse("accounts:identity-sandbox", kwargs={"inquiry_id": inquiry_id})
        return f"{path}?{urlencode({'redirect-uri': redirect_uri})}"

    def decide(self, inquiry_id: str, status: str) -> None:
        """What the sandbox page's buttons do: Persona's side of the story changes, nothing of ours."""
        record = cache.get(self._key(inquiry_id)) or {"reference_id": ""}
        cache.set(self._key(inquiry_id), {**record, "status": status}, self.ttl)


def parse_webhook(body: bytes) -> PersonaEvent:
    """Read a verified webhook body: `{"data":{"type":"event","id":"evt_…","attributes":{"name","payload":{"data":…}}}}`."""
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise WebhookRejected("body is not JSON", 400) from exc
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict) or data.get("type") != "event" or not data.get("id"):
        raise WebhookRejected("not a Persona event", 400)
    attributes = data.get("attributes") or {}
    name = str(attributes.get("name") or "")
    inquiry = ((attributes.get("payload") or {}).get("data")) or {}
    parsed = _inquiry_from(inquiry) if isinstance(inquiry, dict) else Inquiry(id="", status="")
    status = parsed.status or EVENT_STATUS.get(name, "")
    return PersonaEvent(id=str(data["id"]), name=name, inquiry_id=parsed.id, inquiry_status=status)

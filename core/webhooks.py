"""Signature checks and de-duplication shared by every vendor webhook."""

import contextlib
import hashlib
import hmac
import time
from typing import Any

from django.db import IntegrityError, transaction

from core.models import WebhookDelivery


class WebhookRejected(Exception):
    """The delivery is unsigned, forged or stale; answer 400/401 and do nothing."""

    code = "webhook_rejected"

    def __init__(self, message: str, status_code: int = 401) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


def rejected(vendor: str, exc: WebhookRejected, remote_addr: str | None = None) -> None:
    """Count a refused delivery (webhook_failures_total): a bad or missing signature, or a malformed body; and
    note it for staff (the console's home page counts them: `record_failure`)."""
    from core.metrics import webhook_failures_total

    webhook_failures_total.labels(vendor=vendor, reason="signature" if exc.status_code == 401 else "malformed").inc()
    record_failure(vendor=vendor, reason=exc.message, status_code=exc.status_code, remote_addr=remote_addr)


def hmac_hex(secret: str, message: bytes, digest: str = "sha256") -> str:
    return hmac.new(secret.encode(), message, getattr(hashlib, digest)).hexdigest()


def verify_timestamped_signature(
    *, header: str, body: bytes, secret: str, tolerance_seconds: int = 300, now: float | None = None
) -> None:
    """Verify a `t=<unix>,v1=<hex>` header (Persona, title service): HMAC-SHA256 over "t.body".

    Several space-separated `t=…,v1=…` pairs may arrive during secret rotation; any match passes.
    """
    if not secret:
        raise WebhookRejected("webhook secret is not configured", 401)
    if not header:
        raise WebhookRejected("missing signature", 401)
    now = time.time() if now is None else now
    stale = False
    for pair in header.split():
        fields = dict(part.split("=", 1) for part in pair.split(",") if "=" in part)
        timestamp, signature = fields.get("t", ""), fields.get("v1", "")
        if not timestamp.isdigit() or not signature:
            continue
        expected = hmac_hex(secret, f"{timestamp}.".encode() + body)
        if hmac.compare_digest(expected, signature.lower()):
            if abs(now - int(timestamp)) > tolerance_seconds:
                stale = True
                continue
            return
    if stale:
        raise WebhookRejected("stale signature timestamp", 400)
    raise WebhookRejected("bad signature", 401)


def record_delivery(*, vendor: str, event_id: str, event_type: str = "", payload: Any = None) -> bool:
    """Record a delivery; return False when this event id was seen before (a replay)."""
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(
                vendor=vendor, event_id=event_id, event_type=event_type, payload=payload or {}
            )
    except IntegrityError:
        return False
    return True


def record_failure(*, vendor: str, reason: str, status_code: int, remote_addr: str | None = None) -> None:
    """Note a refused or failed delivery for staff (never raises: the vendor gets its answer regardless)."""
    from django.db import DatabaseError

    from core.models import WebhookFailure

    with contextlib.suppress(DatabaseError):
        WebhookFailure.objects.create(
            vendor=vendor, reason=reason[:300], status_code=status_code, remote_addr=remote_addr or None
        )

"""Authorize.Net webhook: payments, refunds and voids made outside the site (VENDORS.md)."""

import hmac
import json

import structlog
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.api import error_body
from core.webhooks import hmac_hex, record_delivery
from orders.payments import payment_apply_gateway_event

logger = structlog.get_logger(__name__)


def signature_is_valid(*, header: str, body: bytes, key: str) -> bool:
    """`X-ANET-Signature: sha512=<HEX>`, HMAC-SHA512 of the raw body keyed with the signature key as text."""
    if not key or not header.lower().startswith("sha512="):
        return False
    expected = hmac_hex(key, body, "sha512")
    return hmac.compare_digest(expected.lower(), header.split("=", 1)[1].strip().lower())


@csrf_exempt
@require_POST
def authorize_net_webhook(request: HttpRequest) -> JsonResponse:
    body = request.body
    if not signature_is_valid(
        header=request.headers.get("X-ANET-Signature", ""), body=body, key=settings.AUTHORIZE_NET_SIGNATURE_KEY
    ):
        return JsonResponse(error_body("Invalid or missing signature."), status=401)
    try:
        event = json.loads(body)
        notification_id = str(event["notificationId"])
        event_type = str(event["eventType"])
        payload = dict(event.get("payload") or {})
    except (ValueError, KeyError, TypeError):
        return JsonResponse(error_body("Malformed notification."), status=400)
    if not record_delivery(vendor="authorize_net", event_id=notification_id, event_type=event_type, payload=event):
        return JsonResponse({"message": "Already processed."})
    outcome = payment_apply_gateway_event(event_type=event_type, payload=payload)
    logger.info("authorize_net.webhook", event_type=event_type, notification=notification_id, outcome=outcome)
    return JsonResponse({"message": outcome})

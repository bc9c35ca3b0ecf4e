"""Authorize.Net webhook: payments, refunds and voids made outside the site (VENDORS.md)."""

import json

import structlog
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.authorize_net import parse_webhook, verify_webhook_signature
from core.api import error_body
from core.webhooks import WebhookRejected, record_delivery, rejected
from orders.payments import payment_apply_gateway_event

logger = structlog.get_logger(__name__)


@csrf_exempt
@require_POST
def authorize_net_webhook(request: HttpRequest) -> JsonResponse:
    body = request.body
    try:
        verify_webhook_signature(
            header=request.headers.get("X-ANET-Signature", ""),
            body=body,
            signature_key=settings.AUTHORIZE_NET_SIGNATURE_KEY,
        )
        event = parse_webhook(body)
    except WebhookRejected as exc:
        rejected("authorize_net", exc, remote_addr=request.META.get("REMOTE_ADDR"))
        return JsonResponse(error_body(exc.message, code=exc.code), status=exc.status_code)
    if not record_delivery(
        vendor="authorize_net", event_id=event.notification_id, event_type=event.event_type, payload=json.loads(body)
    ):
        return JsonResponse({"message": "Already processed."})
    outcome = payment_apply_gateway_event(event=event)
    logger.info(
        "authorize_net.webhook", event_type=event.event_type, notification=event.notification_id, outcome=outcome
    )
    return JsonResponse({"message": outcome})

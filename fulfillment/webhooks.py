"""Vendor webhooks after the sale (VENDORS.md): the carrier network and the title service.

Both verify before reading anything (401 unsigned or forged, 400 stale or malformed; nothing changes), are
idempotent on the vendor's event (core.webhooks.record_delivery: a replay answers 200 "Already processed."),
and only move a track forward, so a webhook and the polling task reporting the same change in either order
apply it once.
"""

import json

import structlog
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.api import error_body
from core.webhooks import WebhookRejected, record_delivery
from fulfillment import super_dispatch, title_vendor
from fulfillment.models import VendorWebhookSubscription
from fulfillment.services import title_apply_report
from fulfillment.services.common import Source

logger = structlog.get_logger(__name__)


def _rejected(exc: WebhookRejected) -> JsonResponse:
    return JsonResponse(error_body(exc.message, code=exc.code), status=exc.status_code)


@csrf_exempt
@require_POST
def super_dispatch_webhook(request: HttpRequest) -> JsonResponse:
    """`{action, action_date, order_guid}` with `X-Super-Dispatch-Verification-Token`: the order is fetched and
    applied by a task (`fulfillment.tasks.sync_transport`), so the answer is quick and the payload never
    trusted."""
    body = request.body
    try:
        event = super_dispatch.parse_webhook(body)
        subscription = VendorWebhookSubscription.objects.filter(
            vendor=super_dispatch.VENDOR, action=event.action
        ).first()
        super_dispatch.verify_webhook_token(
            header=request.headers.get("X-Super-Dispatch-Verification-Token", ""),
            expected=subscription.verification_token if subscription else None,
        )
    except WebhookRejected as exc:
        return _rejected(exc)
    if not record_delivery(
        vendor=super_dispatch.VENDOR, event_id=event.event_id, event_type=event.action, payload=json.loads(body)
    ):
        return JsonResponse({"message": "Already processed."})
    from fulfillment.tasks import sync_transport

    sync_transport.delay(event.order_guid)
    logger.info("super_dispatch.webhook", action=event.action, guid=event.order_guid)
    return JsonResponse({"message": "Accepted."})


@csrf_exempt
@require_POST
def title_webhook(request: HttpRequest) -> JsonResponse:
    """`title_transfer.status_changed` signed with `X-DLR-Signature: t=…,v1=…` (HMAC-SHA256 over "t.body")."""
    body = request.body
    try:
        title_vendor.verify_webhook(header=request.headers.get("X-DLR-Signature", ""), body=body)
        event = title_vendor.parse_webhook(body)
    except WebhookRejected as exc:
        return _rejected(exc)
    if not record_delivery(
        vendor=title_vendor.VENDOR, event_id=event.id, event_type=event.type, payload=json.loads(body)
    ):
        return JsonResponse({"message": "Already processed."})
    outcome = title_apply_report(transfer=event.transfer, source=Source.WEBHOOK)
    logger.info("title.webhook", event_id=event.id, transfer=event.transfer.id, outcome=outcome)
    return JsonResponse({"message": outcome})

"""SendGrid (through anymail) tracking events: bounces, drops and spam complaints make an address undeliverable.

`TrackingWebhookView` serves `anymail/sendgrid/tracking/` (config/urls.py, ahead of anymail's own routes): anymail
verifies the ECDSA signature (SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY); this view also refuses a signature
timestamp older than `SENDGRID_WEBHOOK_TOLERANCE_SECONDS` and acts on each `sg_event_id` once, as the Authorize.Net
and Persona webhooks do (core/webhooks.py), then sends `anymail.signals.tracking`; NotificationsConfig.ready
connects `on_tracking_event` to it.
"""

import json
import time
from typing import Any

import structlog
from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from core.webhooks import record_delivery
from notifications.services import UNDELIVERABLE_REASONS, email_mark_undeliverable

logger = structlog.get_logger(__name__)


def on_tracking_event(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    event_type = str(getattr(event, "event_type", "") or "")
    recipient = str(getattr(event, "recipient", "") or "")
    if event_type not in UNDELIVERABLE_REASONS or not recipient:
        return
    detail = getattr(event, "mta_response", None) or getattr(event, "description", None) or ""
    reject_reason = getattr(event, "reject_reason", None)
    if reject_reason:
        detail = f"{reject_reason}: {detail}" if detail else str(reject_reason)
    email_mark_undeliverable(email=recipient, reason=event_type, detail=str(detail))
    logger.info("notifications.tracking_event", esp=esp_name, type=event_type, event_id=getattr(event, "event_id", ""))


class TrackingWebhookView(SendGridTrackingWebhookView):
    """anymail's SendGrid tracking view, plus a fresh-timestamp check and de-duplication on the event id."""

    def validate_request(self, request: HttpRequest) -> None:
        """Runs beside anymail's signature check (anymail calls every `validate_request` in the class chain).
        The timestamp is part of what SendGrid signs, so an old one cannot be refreshed by whoever replays it."""
        if (
            self.webhook_verification_key is None
        ):  # unsigned webhooks (no key configured) are anymail's warning, not ours
            return
        timestamp = request.headers.get("X-Twilio-Email-Event-Webhook-Timestamp", "")
        if not timestamp.isdigit():
            raise AnymailWebhookValidationFailure("SendGrid webhook called without a valid timestamp")
        if abs(time.time() - int(timestamp)) > settings.SENDGRID_WEBHOOK_TOLERANCE_SECONDS:
            raise AnymailWebhookValidationFailure("SendGrid webhook timestamp is too old (a replay?)")

    def parse_events(self, request: HttpRequest) -> list[Any]:
        try:
            esp_events = json.loads(request.body.decode("utf-8"))
            if not isinstance(esp_events, list) or not all(isinstance(e, dict) and "event" in e for e in esp_events):
                raise ValueError("expected a list of events")
            return [self.esp_to_anymail_event(esp_event) for esp_event in esp_events]
        except (ValueError, UnicodeDecodeError, RecursionError, TypeError, AttributeError) as exc:
            raise AnymailWebhookValidationFailure(f"Malformed SendGrid webhook body: {exc}") from exc

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.run_validators(request)
        for event in self.parse_events(request):
            event_id = str(event.event_id or "")
            # recorded and acted on in one transaction: a failure leaves it unrecorded, so SendGrid's retry is not lost
            with transaction.atomic():
                if event_id and not record_delivery(
                    vendor="sendgrid", event_id=event_id[:128], event_type=str(event.event_type or "")
                ):
                    logger.info("notifications.tracking_event_duplicate", event_id=event_id)
                    continue
                self.signal.send(sender=self.__class__, event=event, esp_name=self.esp_name)
        return HttpResponse()

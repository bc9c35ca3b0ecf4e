"""SendGrid (through anymail) tracking events: bounces, drops and spam complaints make an address undeliverable.

anymail's view at `anymail/sendgrid/tracking/` verifies the ECDSA signature (SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY)
and sends `anymail.signals.tracking`; NotificationsConfig.ready connects this receiver to it.
"""

from typing import Any

import structlog

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

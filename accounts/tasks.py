"""Periodic and background work of the accounts domain (scheduled in config/celery.py)."""

from datetime import timedelta

import structlog
from celery import shared_task
from django.conf import settings
from django.utils import timezone

from accounts.models import IdentityVerification
from accounts.persona import PersonaNotFound
from accounts.services import identity_verification_refresh
from core.errors import VendorUnavailable

logger = structlog.get_logger(__name__)
POLL_BATCH = 200


@shared_task(name="accounts.tasks.poll_pending_identity_checks")
def poll_pending_identity_checks() -> int:
    """Fetch inquiries still pending IDENTITY_POLL_AFTER_MINUTES after they started (a webhook may be lost).

    Safe to run twice: each fetch is applied forward-only. Stops at the first outage so a Persona
    incident is not hammered; the next run picks up where this one stopped.
    """
    cutoff = timezone.now() - timedelta(minutes=settings.IDENTITY_POLL_AFTER_MINUTES)
    inquiry_ids = list(
        IdentityVerification.objects.pending_since(cutoff)
        .order_by("last_checked_at", "pk")
        .values_list("inquiry_id", flat=True)[:POLL_BATCH]
    )
    checked = 0
    for inquiry_id in inquiry_ids:
        if not inquiry_id:
            continue
        try:
            identity_verification_refresh(inquiry_id=inquiry_id, source="poll")
        except PersonaNotFound:
            logger.error("identity.inquiry_missing_at_vendor", inquiry_id=inquiry_id)
            continue
        except VendorUnavailable as exc:
            logger.warning("identity.poll_stopped", inquiry_id=inquiry_id, error=str(exc))
            break
        checked += 1
    return checked

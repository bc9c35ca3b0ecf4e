"""Completion: when both tracks have ended and the claim window after delivery has passed with nothing holding
the proceeds, the order completes and the seller's proceeds are released — one transaction, under the order's,
the fulfillment's and the proceeds' locks, after `fulfillment.holds.proceeds_hold_reasons` came back empty
under those same locks. Exactly once: the order's status and the proceeds' conditional UPDATE both guard it.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from fulfillment.holds import claim_window_ends_at, proceeds_hold_reasons
from fulfillment.models import Fulfillment, SellerProceeds
from fulfillment.services.common import Track, lock, record, tell
from fulfillment.services.proceeds import proceeds_release
from orders.services import order_mark_completed


def fulfillment_complete(*, order_id: int, now: datetime | None = None) -> bool:
    """Complete the order and release the proceeds if nothing holds them; False (and nothing changed) if
    something does, or if it was completed already."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        order, fulfillment = lock(order_id)
        SellerProceeds.objects.select_for_update().filter(order_id=order_id).first()
        if fulfillment.completed_at is not None:
            return False
        if proceeds_hold_reasons(order, fulfillment=fulfillment, now=now):
            return False
        if not order_mark_completed(order=order, message="Completed: title and vehicle delivered, claim window passed"):
            return False
        fulfillment.completed_at = now
        fulfillment.save()
        record(fulfillment, track=Track.ORDER, kind="completed", message="The sale is complete", to_status="completed")
        proceeds_release(order=order, fulfillment=fulfillment, now=now)
        tell(order, "order_completed", who=["buyer", "seller"])
    return True


def fulfillments_complete_due(*, now: datetime | None = None) -> int:
    """Beat: complete every order whose claim window has passed (the hold check decides each one)."""
    now = now or timezone.now()
    candidates = Fulfillment.objects.open().filter(order__delivered_at__isnull=False).select_related("order")
    done = 0
    for fulfillment in candidates:
        ends = claim_window_ends_at(fulfillment.order)
        if ends is not None and ends <= now and fulfillment_complete(order_id=fulfillment.order_id, now=now):
            done += 1
    return done

"""A paid order starts its fulfillment: both tracks, the pickup code, the storage clock, the seller's proceeds.

Started by `fulfillment.tasks.start_fulfillment` (orders names it in ORDER_PAID_TASKS and sends it after the
payment commits) and by the beat sweep `start_paid_orders` as the safety net. Idempotent: the fulfillment is
one row per order (a OneToOne), created under the order's lock.
"""

from __future__ import annotations

import secrets

import structlog
from django.db import transaction
from django.utils import timezone

from core.pricing import active_fee_schedule
from fulfillment import rules
from fulfillment.models import Fulfillment, TitleStatus, VehicleStatus
from fulfillment.services.common import Track, record, tell
from fulfillment.services.proceeds import proceeds_open
from orders.models import Order
from orders.services import order_lock, order_mark_in_fulfillment

logger = structlog.get_logger(__name__)


def new_pickup_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def fulfillment_start(*, order_id: int) -> Fulfillment | None:
    """The fulfillment of a paid order (the existing one when it already started); None for an order that is
    not paid."""
    existing = Fulfillment.objects.filter(order_id=order_id).first()
    if existing is not None:
        return existing
    with transaction.atomic(durable=True):
        order = order_lock(order_id)
        existing = Fulfillment.objects.filter(order_id=order_id).first()
        if existing is not None:
            return existing
        if order.status != Order.Status.PAID:
            return None
        now = timezone.now()
        paid_at = order.paid_at or now
        schedule = active_fee_schedule()
        fulfillment = Fulfillment.objects.create(
            order=order,
            seller_id=order.seller_id,
            documents_due_at=rules.documents_due_at(paid_at),
            title_promised_by=rules.title_promised_by(paid_at),
            pickup_code=new_pickup_code(),
            free_storage_until=rules.free_storage_until(paid_at, schedule.storage_free_business_days),
            started_at=now,
        )
        due = timezone.localtime(fulfillment.documents_due_at)
        record(
            fulfillment,
            track=Track.TITLE,
            kind="status",
            to_status=TitleStatus.AWAITING_DOCUMENTS,
            message=f"Title transfer started: the seller uploads the title documents by {due:%a %b %-d, %-I:%M %p %Z}",
        )
        record(
            fulfillment,
            track=Track.VEHICLE,
            kind="status",
            to_status=VehicleStatus.AWAITING_CHOICE,
            message="The buyer chooses pickup or door-to-door transport",
        )
        proceeds_open(order=order, fulfillment=fulfillment, schedule=schedule)
        order_mark_in_fulfillment(order=order, message="Paid: title transfer and delivery started")
        tell(
            order,
            "delivery_choice_needed",
            who=["buyer"],
            free_until=fulfillment.free_storage_until.isoformat(),
            pickup_code=fulfillment.pickup_code,
        )
        tell(order, "title_documents_requested", who=["seller"], due_at=fulfillment.documents_due_at.isoformat())
        transaction.on_commit(lambda: _render_bill_of_sale_later(order_id))
    logger.info("fulfillment.started", order=order.number)
    return fulfillment


def _render_bill_of_sale_later(order_id: int) -> None:
    from celery import current_app

    try:
        current_app.tasks["fulfillment.tasks.render_bill_of_sale"].delay(order_id)
    except Exception:  # noqa: BLE001 - the page renders it on demand anyway
        logger.exception("fulfillment.bill_of_sale_task_failed", order_id=order_id)


def fulfillments_start_paid(*, limit: int = 200) -> int:
    """Beat safety net: start every paid order that has no fulfillment yet."""
    missing = Order.objects.filter(status=Order.Status.PAID, fulfillment__isnull=True).values_list("pk", flat=True)
    started = 0
    for order_id in list(missing[:limit]):
        if fulfillment_start(order_id=order_id) is not None:
            started += 1
    return started

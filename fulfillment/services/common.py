"""What every fulfillment service shares: locks in one order, event rows, status changes, notices.

Locks are always taken in this order: the order (orders.services.order_lock), then its fulfillment, then a
booking or documents, then the seller's proceeds. Every status change writes a FulfillmentEvent in the same
transaction and, after commit, tells the order's page to refresh (orders.live).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.errors import Conflict, NotFound
from fulfillment.models import Fulfillment, FulfillmentEvent
from notifications.services import notify, notify_staff
from orders.live import broadcast_order_changed
from orders.models import Order
from orders.services import order_lock

Source = FulfillmentEvent.Source
Track = FulfillmentEvent.Track


def lock(order_id: int) -> tuple[Order, Fulfillment]:
    """Lock the order, then its fulfillment. Precondition: inside a transaction. NotFound for no such order;
    Conflict `not_paid` before the order is paid (fulfillment starts then)."""
    try:
        order = order_lock(order_id)
    except Order.DoesNotExist:
        raise NotFound("Order not found.") from None
    fulfillment = Fulfillment.objects.select_for_update().filter(order_id=order_id).first()
    if fulfillment is None:
        raise Conflict("This order is not paid yet: there is nothing to fulfil.", code="not_paid")
    fulfillment.order = order
    return order, fulfillment


def record(
    fulfillment: Fulfillment,
    *,
    track: str,
    kind: str,
    message: str,
    source: str = Source.SYSTEM,
    actor: Any = None,
    from_status: str = "",
    to_status: str = "",
    **data: Any,
) -> FulfillmentEvent:
    event = FulfillmentEvent.objects.create(
        fulfillment=fulfillment,
        track=track,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        message=message,
        source=source,
        actor=actor if getattr(actor, "pk", None) else None,
        data=data,
    )
    transaction.on_commit(partial(broadcast_order_changed, fulfillment.order_id))
    return event


def set_title_status(
    fulfillment: Fulfillment, to_status: str, *, message: str, source: str, actor: Any = None, **data: Any
) -> None:
    """Precondition: the caller holds the fulfillment's lock and checked that the change is allowed."""
    from_status = fulfillment.title_status
    fulfillment.title_status = to_status
    fulfillment.save()
    record(
        fulfillment,
        track=Track.TITLE,
        kind="status",
        message=message,
        source=source,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        **data,
    )


def set_vehicle_status(
    fulfillment: Fulfillment, to_status: str, *, message: str, source: str, actor: Any = None, **data: Any
) -> None:
    """Precondition: the caller holds the fulfillment's lock and checked that the change is allowed."""
    from_status = fulfillment.vehicle_status
    fulfillment.vehicle_status = to_status
    fulfillment.save()
    record(
        fulfillment,
        track=Track.VEHICLE,
        kind="status",
        message=message,
        source=source,
        actor=actor,
        from_status=from_status,
        to_status=to_status,
        **data,
    )


def order_path(order: Order, anchor: str = "") -> str:
    path = reverse("orders:detail", args=[order.pk])
    return f"{path}#{anchor}" if anchor else path


def base_context(order: Order, **extra: Any) -> dict[str, Any]:
    return {
        "order_number": order.number or str(order.pk),
        "vehicle": str(order.vehicle),
        "url": order_path(order),
        **extra,
    }


def tell(order: Order, kind: str, *, who: Iterable[str], **context: Any) -> None:
    """After commit, notify the order's buyer and/or seller ("buyer", "seller") about it."""
    people = {"buyer": order.buyer, "seller": order.seller}
    data = base_context(order, **context)
    event = timezone.now().isoformat()  # each step is decided once under its claim; the same words may recur
    for role in who:
        transaction.on_commit(
            partial(
                notify, user=people[role], kind=kind, context=data, object_key=f"order:{order.pk}:{kind}", event=event
            )
        )


def tell_staff(order: Order, subject: str, message: str) -> None:
    context = {
        "subject": subject,
        "message": message,
        "url": reverse("admin:fulfillment_fulfillment_change", args=[order.fulfillment.pk]),
    }
    transaction.on_commit(
        partial(
            notify_staff,
            kind="staff_alert",
            context=context,
            object_key=f"order:{order.pk}:staff",
            event=timezone.now().isoformat(),  # a daily reminder repeats its words
        )
    )


def role_of(order: Order, user: Any) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if order.buyer_id == user.pk:
        return "buyer"
    if order.seller_id == user.pk:
        return "seller"
    return "staff" if user.is_staff else None


def source_for(order: Order, user: Any) -> str:
    return {"buyer": Source.BUYER, "seller": Source.SELLER, "staff": Source.STAFF}.get(
        role_of(order, user) or "", Source.SYSTEM
    )

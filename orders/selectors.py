"""Reads for orders: who may see what."""

from typing import Any

from django.db.models import QuerySet

from core.errors import NotFound
from orders.models import Order, OrderEvent, Payment


def orders_for_buyer(user: Any) -> QuerySet[Order]:
    return Order.objects.for_buyer(user).select_related("vehicle", "seller").order_by("-created_at")


def orders_for_seller(user: Any) -> QuerySet[Order]:
    return Order.objects.for_seller(user).select_related("vehicle", "buyer").order_by("-created_at")


def order_visible_to(*, order_id: int, user: Any) -> Order:
    """The order if `user` is its buyer, its seller or staff; NotFound otherwise (no existence leak)."""
    order = Order.objects.visible_to(user).select_related("vehicle", "buyer", "seller").filter(pk=order_id).first()
    if order is None:
        raise NotFound("Order not found.")
    return order


def order_timeline(order: Order) -> QuerySet[OrderEvent]:
    return order.events.select_related("actor").order_by("created_at", "pk")


def order_payments(order: Order) -> QuerySet[Payment]:
    return order.payments.order_by("created_at", "pk")


OPEN_STATUSES = [Order.Status.PENDING_PAYMENT, Order.Status.PAID, Order.Status.IN_FULFILLMENT]


def dashboard_counters(user: Any) -> dict[str, int]:
    """For /api/users/dashboard (settings.USER_DASHBOARD_COUNTERS)."""
    return {"open_orders": Order.objects.for_buyer(user).filter(status__in=OPEN_STATUSES).count()}


def buyer_may_read_vehicle_documents(user: Any, vehicle: Any) -> bool:
    """After a sale the buyer may read the vehicle's private documents (settings.VEHICLE_DOCUMENT_ACCESS_CHECKS)."""
    return (
        Order.objects.filter(vehicle_id=vehicle.pk, buyer_id=user.pk)
        .exclude(status__in=[Order.Status.CANCELLED, Order.Status.REFUNDED])
        .exists()
    )

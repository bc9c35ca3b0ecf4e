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


def second_chance_for(order: Order) -> dict[str, Any] | None:
    """For the seller's order page after a cancel for non-payment: the runner-up's max and the second-chance
    thread if one was made; None when no second chance applies."""
    from auctions.models import Auction
    from auctions.selectors import runner_up
    from offers.models import OfferThread

    if not order.cancelled_for_non_payment or order.source_type not in (Order.Source.AUCTION, Order.Source.BUY_NOW):
        return None
    auction = Auction.objects.filter(pk=order.source_id).first()
    found = runner_up(auction) if auction is not None else None
    thread = OfferThread.objects.filter(auction_id=order.source_id, kind=OfferThread.Kind.SECOND_CHANCE).first()
    return {
        "runner_up_max": found[1] if found else None,
        "thread": thread,
    }


def order_for_offer(thread_id: int) -> Order | None:
    return Order.objects.filter(source_type=Order.Source.OFFER, source_id=thread_id).first()

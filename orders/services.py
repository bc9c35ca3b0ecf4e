"""Writes for orders: creation (idempotent per source; one at a time or in bulk), cancellation and payment deadlines.
Payments and refunds are in orders/payments.py; invoices in orders/invoices.py."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

import structlog
from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from core.errors import Conflict, DomainError, NotFound
from core.money import money
from core.pricing import (
    PurchaseBreakdown,
    active_fee_schedule,
    price_lines,
    purchase_breakdown,
    state_code,
    state_fees,
)
from notifications.services import notify, notify_staff
from orders.deadlines import cancellable_at, payment_due_at
from orders.live import broadcast_order_changed
from orders.models import Order, OrderEvent

logger = structlog.get_logger(__name__)


def order_url(order: Order) -> str:
    """The order page's site path (notifications store paths; emails make them absolute)."""
    return reverse("orders:detail", args=[order.pk])


def order_event_row(
    *,
    order: Order,
    kind: str,
    actor: Any = None,
    from_status: str = "",
    to_status: str = "",
    message: str = "",
    **data: Any,
) -> OrderEvent:
    """An order's event, unsaved (`order_event` saves one; bulk creation inserts many at once)."""
    return OrderEvent(
        order=order, actor=actor, kind=kind, from_status=from_status, to_status=to_status, message=message, data=data
    )


def order_event(
    *,
    order: Order,
    kind: str,
    actor: Any = None,
    from_status: str = "",
    to_status: str = "",
    message: str = "",
    **data: Any,
) -> OrderEvent:
    row = order_event_row(
        order=order, actor=actor, kind=kind, from_status=from_status, to_status=to_status, message=message, **data
    )
    row.save()
    return row


def order_transition(
    *, order: Order, to_status: str, actor: Any = None, message: str = "", kind: str = "status"
) -> None:
    """Change status and write the event. Precondition: the caller holds the order's row lock."""
    from_status = order.status
    order.status = to_status
    order.save(update_fields=["status", "updated_at", "paid_at", "cancelled_at", "completed_at"])
    order_event(order=order, kind=kind, actor=actor, from_status=from_status, to_status=to_status, message=message)


@dataclass(frozen=True)
class Sale:
    """What an order is made of: one sale (a won auction, a buy now, an accepted offer) of one vehicle."""

    source_type: str
    source_id: int
    buyer: Any
    seller: Any
    vehicle_id: int
    price: Decimal
    sold_at: datetime

    @property
    def source(self) -> tuple[str, int]:
        return (self.source_type, self.source_id)


def _new_order(sale: Sale, breakdown: PurchaseBreakdown) -> Order:
    """The order for `sale` priced by `breakdown`, unsaved and unnumbered (both creation paths)."""
    return Order(
        source_type=sale.source_type,
        source_id=sale.source_id,
        buyer=sale.buyer,
        seller=sale.seller,
        vehicle_id=sale.vehicle_id,
        buyer_state=breakdown.buyer_state,
        vehicle_price=breakdown.vehicle_price,
        buyer_fee=breakdown.buyer_fee,
        documentation_fee=breakdown.documentation_fee,
        title_fee=breakdown.title_fee,
        sales_tax_rate=breakdown.sales_tax_rate,
        sales_tax=breakdown.sales_tax,
        total=breakdown.total,
        sold_at=sale.sold_at,
        due_at=payment_due_at(sale.sold_at),
    )


def order_number(order: Order) -> str:
    """The number buyers and staff quote: the year of the sale and the order's id."""
    return f"NS-{order.sold_at:%Y}-{order.pk:06d}"


def _created_event(order: Order) -> OrderEvent:
    return order_event_row(
        order=order, kind="created", to_status=order.status, message=f"Sold for ${order.vehicle_price:,}"
    )


def order_create(
    *,
    source_type: str,
    source_id: int,
    buyer: Any,
    seller: Any,
    vehicle_id: int,
    price: Decimal,
    sold_at: datetime,
) -> Order:
    """The order for one sale; running it twice for the same source returns the same order.

    Relies on the unique (source_type, source_id) constraint rather than check-then-create, so two
    workers racing for the same won auction make one order. Many sales at once: `orders_create`.
    """
    existing = Order.objects.filter(source_type=source_type, source_id=source_id).first()
    if existing:
        return existing
    sale = Sale(source_type, source_id, buyer, seller, vehicle_id, price, sold_at)
    breakdown = purchase_breakdown(price=price, buyer_state=buyer.state)
    try:
        with transaction.atomic():
            order = _new_order(sale, breakdown)
            order.save()
            order.number = order_number(order)
            order.save(update_fields=["number"])
            _created_event(order).save()
            transaction.on_commit(partial(_notify_orders_created, [order.pk]))
    except IntegrityError:
        return Order.objects.get(source_type=source_type, source_id=source_id)
    logger.info("order.created", order=order.number, source=f"{source_type}:{source_id}")
    return order


BULK_CREATE_ATTEMPTS = 3
MYSQL_DEADLOCK = 1213


def orders_create(*, sales: list[Sale]) -> list[Order]:
    """The orders for many sales at once (a batch of closes): each priced, numbered, evented and announced
    exactly as `order_create` does, with the same rules (`core.pricing.price_lines`, `payment_due_at`,
    `order_number`); sales whose source already has an order are skipped. Returns the orders this call made.

    performance: a fixed number of statements per call, whatever its size: one read of the sources that have
    an order, the fee schedule and the buyers' state fees read once, one insert of the orders, one UPDATE of
    their numbers, one insert of their `created` events, one commit; the buyers' notices after it.

    Idempotent under retries and parallel workers: the unique (source_type, source_id) constraint decides,
    never the read. A concurrent creator that inserted one of these sources first makes this insert fail
    (sources are inserted in one sorted order, so two creators wait on each other instead of deadlocking); the
    whole batch rolls back and is tried again without the sources that now have an order. After
    BULK_CREATE_ATTEMPTS failures the sales are created one at a time, each in its own transaction.
    """
    pending = sorted({sale.source: sale for sale in sales}.values(), key=lambda sale: sale.source)
    for _ in range(BULK_CREATE_ATTEMPTS):
        try:
            return _orders_insert(pending)
        except IntegrityError:
            logger.info("orders.bulk_create_conflict", sales=len(pending))
        except OperationalError as exc:
            if exc.args[0] != MYSQL_DEADLOCK:
                raise
            logger.info("orders.bulk_create_deadlock", sales=len(pending))
    created: list[Order] = []
    for sale in pending:
        try:
            created += _orders_insert([sale])
        except IntegrityError:  # made by someone else meanwhile (or refused: the sweep tries again)
            logger.warning("orders.create_failed", source=f"{sale.source_type}:{sale.source_id}", exc_info=True)
    return created


def _orders_insert(sales: list[Sale]) -> list[Order]:
    if not sales:
        return []
    with transaction.atomic(durable=True):
        by_type: dict[str, list[int]] = {}
        for sale in sales:
            by_type.setdefault(sale.source_type, []).append(sale.source_id)
        have = Q()
        for source_type, ids in by_type.items():
            have |= Q(source_type=source_type, source_id__in=ids)
        taken = set(Order.objects.filter(have).values_list("source_type", "source_id"))
        todo = [sale for sale in sales if sale.source not in taken]
        if not todo:
            return []
        schedule = active_fee_schedule()
        fees = state_fees({sale.buyer.state for sale in todo})
        orders = []
        for sale in todo:
            state = state_code(sale.buyer.state)
            lines = price_lines(price=sale.price, buyer_state=state, schedule=schedule, state_fee=fees.get(state))
            orders.append(_new_order(sale, lines))
        Order.objects.bulk_create(orders)
        if any(order.pk is None for order in orders):  # MySQL returns no ids from a bulk insert (MariaDB does)
            pks = {(t, i): pk for t, i, pk in Order.objects.filter(have).values_list("source_type", "source_id", "pk")}
            for order in orders:
                order.pk = pks[(order.source_type, order.source_id)]
        for order in orders:
            order.number = order_number(order)
        Order.objects.bulk_update(orders, ["number"])
        OrderEvent.objects.bulk_create([_created_event(order) for order in orders])
        transaction.on_commit(partial(_notify_orders_created, [order.pk for order in orders]))
    logger.info("orders.created", count=len(orders), first=orders[0].number, last=orders[-1].number)
    return orders


def _notify_orders_created(order_ids: list[int]) -> None:
    """The buyers' invoices (after the orders committed): one read for all the orders, a notice each."""
    orders = Order.objects.select_related("buyer", "seller", "vehicle").filter(pk__in=order_ids).order_by("pk")
    for order in orders:
        context = {
            "order_number": order.number,
            "total": str(order.total),
            "due_date": timezone.localtime(order.due_at).strftime("%A %B %-d, %Y %-I:%M %p %Z"),
            "url": order_url(order),
            "vehicle": str(order.vehicle),
        }
        notify(user=order.buyer, kind="invoice_issued", context=context, object_key=f"order:{order.pk}")


def order_cancel(
    *, order_id: int, actor: Any, reason: str, suspend_buyer: bool = False, non_payment: bool = False
) -> Order:
    """Staff cancel an unpaid order (e.g. payment overdue past 5 business days). `non_payment`: the buyer
    did not pay, which adds a non-payment strike (two suspend the account: accounts.services.user_strike_add)."""
    if not reason.strip():
        raise DomainError("A reason is required to cancel an order.")
    with transaction.atomic(durable=True):
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status != Order.Status.PENDING_PAYMENT:
            raise Conflict(
                f"Only an order awaiting payment can be cancelled; this one is {order.get_status_display().lower()}."
            )
        if order.amount_paid > order.amount_refunded:
            raise Conflict("Refund what was paid before cancelling.")
        order.cancelled_at = timezone.now()
        order_transition(order=order, to_status=Order.Status.CANCELLED, actor=actor, message=reason)
        if non_payment:
            from accounts.services import user_strike_add

            order_event(order=order, kind="strike", actor=actor, message="Non-payment strike added to the buyer")
            user_strike_add(
                user_id=order.buyer_id, source=f"order:{order.pk}", reason=f"Order {order.number} not paid: {reason}",
                actor=actor,
            )  # fmt: skip
            order.buyer.refresh_from_db(fields=["suspended_at"])
        if suspend_buyer and not order.buyer.is_suspended:
            from accounts.services import user_suspend

            user_suspend(user_id=order.buyer_id, actor=actor, reason=f"Order {order.number} not paid: {reason}")
    return order


def orders_apply_late_fees(*, now: datetime | None = None) -> int:
    """Add the late fee once to each order past its due date; tell buyer and staff. Safe to run twice."""
    now = now or timezone.now()
    fee = active_fee_schedule().late_fee
    applied = 0
    for order_id in Order.objects.overdue(now).filter(late_fee_applied_at__isnull=True).values_list("pk", flat=True):
        with transaction.atomic(durable=True):
            claimed = Order.objects.filter(
                pk=order_id, status=Order.Status.PENDING_PAYMENT, late_fee_applied_at__isnull=True
            ).update(late_fee_applied_at=now, late_fee=F("late_fee") + fee, total=F("total") + fee)
            if not claimed:
                continue
            order = Order.objects.get(pk=order_id)
            order_event(
                order=order, kind="late_fee", message=f"Late fee ${fee} added: payment was due {order.due_at:%Y-%m-%d}"
            )
            transaction.on_commit(partial(_notify_late, order_id, fee))
        applied += 1
    return applied


def _notify_late(order_id: int, fee: Decimal) -> None:
    order = Order.objects.select_related("buyer").get(pk=order_id)
    context = {"order_number": order.number, "late_fee": str(fee), "url": order_url(order)}
    notify(user=order.buyer, kind="payment_overdue", context=context, object_key=f"order:{order.pk}")
    notify_staff(
        kind="staff_alert",
        context={
            "subject": f"Payment overdue: {order.number}",
            "message": f"{order.buyer.email} has not paid {order.number}; a ${fee} late fee was added.",
            "url": reverse("admin:orders_order_change", args=[order.pk]),
        },
        object_key=f"order:{order.pk}",
    )


def orders_flag_cancellable(*, now: datetime | None = None) -> int:
    """Flag for staff the unpaid orders past 5 business days (cancel and suspend are staff actions)."""
    now = now or timezone.now()
    flagged = 0
    candidates = Order.objects.awaiting_payment().filter(flagged_overdue_at__isnull=True, due_at__lt=now)
    for order in candidates.select_related("buyer"):
        if cancellable_at(order.sold_at) > now:
            continue
        with transaction.atomic(durable=True):
            if not Order.objects.filter(pk=order.pk, flagged_overdue_at__isnull=True).update(flagged_overdue_at=now):
                continue
            order_event(order=order, kind="flagged", message="Unpaid 5 business days after the sale: staff may cancel")
            transaction.on_commit(
                partial(
                    notify_staff,
                    kind="staff_alert",
                    context={
                        "subject": f"Order {order.number} may be cancelled",
                        "message": f"{order.buyer.email} has not paid within 5 business days.",
                        "url": reverse("admin:orders_order_change", args=[order.pk]),
                    },
                    object_key=f"order:{order.pk}",
                )
            )
        flagged += 1
    return flagged


# --- after the sale: what fulfillment (the layer above) asks of an order ------------------------------------
# Each is a step inside the caller's use case. Precondition for all: the caller is inside a transaction and
# holds the order's row lock (`order_lock`), taken before any of its own rows (locks in a fixed order).

ORDER_LINES_AFTER_SALE = ("storage_fee",)


def order_lock(order_id: int) -> Order:
    """Lock and return the order. Precondition: inside a transaction."""
    return Order.objects.select_for_update().select_related("vehicle", "buyer", "seller").get(pk=order_id)


def order_add_charge(*, order: Order, line: str, amount: Decimal, message: str, actor: Any = None) -> None:
    """Add `amount` (negative to take some off again, never below zero) to an after-sale line of a locked order
    and to its total; the buyer then owes it (the order page's Pay button charges the balance)."""
    if line not in ORDER_LINES_AFTER_SALE:
        raise ValueError(f"{line} is not a line that changes after the sale")
    current = getattr(order, line)
    amount = max(money(amount), -current)
    if amount == 0:
        return
    setattr(order, line, current + amount)
    order.total = money(order.total + amount)
    order.save(update_fields=[line, "total", "updated_at"])
    order_event(order=order, kind=line.removesuffix("_fee"), actor=actor, message=message, amount=str(amount))
    transaction.on_commit(partial(broadcast_order_changed, order.pk))


def order_record_seller_fee(*, order: Order, amount: Decimal) -> None:
    """Keep the sale's seller fee on the order (the reports read it with the buyer's fees). Precondition: the
    caller holds the order's lock; the seller's proceeds (fulfillment) are the record the seller sees."""
    order.seller_fee = money(amount)
    order.save(update_fields=["seller_fee", "updated_at"])


def order_mark_in_fulfillment(*, order: Order, message: str, actor: Any = None) -> bool:
    """paid → in fulfillment (title and vehicle on their way). False when the order is not paid."""
    if order.status != Order.Status.PAID:
        return False
    order_transition(order=order, to_status=Order.Status.IN_FULFILLMENT, actor=actor, message=message)
    transaction.on_commit(partial(broadcast_order_changed, order.pk))
    return True


def order_mark_delivered(*, order: Order, at: datetime, message: str, actor: Any = None) -> bool:
    """Record, once, that the buyer has the vehicle (picked up or delivered). The claim window counts from here."""
    if order.delivered_at is not None or order.status != Order.Status.IN_FULFILLMENT:
        return False
    order.delivered_at = at
    order.save(update_fields=["delivered_at", "updated_at"])
    order_event(order=order, kind="delivered", actor=actor, message=message)
    transaction.on_commit(partial(broadcast_order_changed, order.pk))
    return True


def order_mark_completed(*, order: Order, message: str, actor: Any = None) -> bool:
    """in fulfillment → completed, once. False when the order is in another status."""
    if order.status != Order.Status.IN_FULFILLMENT or order.delivered_at is None:
        return False
    order.completed_at = timezone.now()
    order_transition(order=order, to_status=Order.Status.COMPLETED, actor=actor, message=message)
    transaction.on_commit(partial(broadcast_order_changed, order.pk))
    return True


def order_reverse_sale(*, order: Order, to_status: str, message: str, actor: Any = None) -> None:
    """A paid sale undone after the buyer was refunded in full (a claim's full refund with return, or a
    cancelled sale): paid or in fulfillment → refunded or cancelled. Precondition: the caller holds the order's
    lock. Conflict when money is still held or the order is in another status."""
    if to_status not in (Order.Status.REFUNDED, Order.Status.CANCELLED):
        raise ValueError(f"A sale is reversed to refunded or cancelled, not {to_status}")
    if order.status not in (Order.Status.PAID, Order.Status.IN_FULFILLMENT):
        raise Conflict(f"This order is {order.get_status_display().lower()}; it cannot be reversed.")
    if order.amount_refunded < order.amount_paid:
        raise Conflict("Refund everything that was paid before reversing the sale.")
    if to_status == Order.Status.CANCELLED:
        order.cancelled_at = timezone.now()
    order_transition(order=order, to_status=to_status, actor=actor, message=message)
    transaction.on_commit(partial(broadcast_order_changed, order.pk))


def announce_paid(order_id: int) -> None:
    """After commit of the payment that paid an order in full: start the tasks named in ORDER_PAID_TASKS
    (fulfillment's start), by name, so orders needs nothing from the apps above it. Their beat sweeps are the
    safety net when the broker is down."""
    from celery import current_app

    for name in settings.ORDER_PAID_TASKS:
        try:
            current_app.tasks[name].delay(order_id)  # registered in every process (core.apps)
        except Exception:  # noqa: BLE001 - the sweep picks the order up
            logger.exception("order.paid_task_failed", task=name, order_id=order_id)


def order_second_chance(*, order_id: int, seller: Any) -> Any:
    """The buyer did not pay and the order was cancelled: the seller offers the vehicle to the auction's
    runner-up at their max (offers.services.offer_second_chance, which checks the rest under its locks).
    Returns the offers app's OfferResult."""
    from offers.services import offer_second_chance

    order = Order.objects.filter(pk=order_id, seller_id=getattr(seller, "pk", None)).first()
    if order is None:
        raise NotFound("Order not found.")
    if not order.cancelled_for_non_payment:
        raise Conflict(
            "A second chance is possible once the order was cancelled because the buyer did not pay.",
            code="second_chance_unavailable",
        )
    if order.source_type not in (Order.Source.AUCTION, Order.Source.BUY_NOW):
        raise Conflict("Only an auction sale has a runner-up.", code="no_runner_up")
    return offer_second_chance(auction_id=order.source_id, seller=seller)

"""The seller's proceeds: price − seller fee − the storage or transport charges the seller caused.

Lines are append-only and `net` is always their sum (recomputed under the proceeds' lock). Proceeds are held
until the sale completes; `proceeds_release` is called by completion only, inside its transaction, after
`fulfillment.selectors.proceeds_hold_reasons` came back empty under the same locks; staff then record the
payout with a reference.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, DomainError
from core.models import FeeSchedule
from core.money import ZERO, money
from core.pricing import seller_fee
from core.transport import percent
from fulfillment.models import Fulfillment, ProceedsLine, ProceedsStatus, SellerProceeds
from fulfillment.services.common import Source, Track, lock, record, tell, tell_staff
from orders.deadlines import add_business_days
from orders.models import Order
from orders.services import order_record_seller_fee


def proceeds_open(*, order: Order, fulfillment: Fulfillment, schedule: FeeSchedule) -> SellerProceeds:
    """The seller's proceeds for a paid order: the sale and the seller fee. Precondition: inside the
    transaction that starts the fulfillment, holding the order's lock."""
    proceeds = SellerProceeds.objects.create(order=order, seller_id=order.seller_id)
    fee = seller_fee(order.vehicle_price, schedule)
    order_record_seller_fee(order=order, amount=fee)
    ProceedsLine.objects.create(
        proceeds=proceeds, kind=ProceedsLine.Kind.SALE, label="Sale price", amount=order.vehicle_price
    )
    ProceedsLine.objects.create(
        proceeds=proceeds,
        kind=ProceedsLine.Kind.SELLER_FEE,
        label=f"Seller fee ({percent(schedule.seller_fee_rate)} of the price, at least ${schedule.seller_fee_min:,})",
        amount=-fee,
    )
    _refresh_net(proceeds)
    record(
        fulfillment,
        track=Track.PROCEEDS,
        kind="opened",
        message=f"Seller proceeds ${proceeds.net:,} held until the sale completes",
        to_status=proceeds.status,
    )
    return proceeds


def _refresh_net(proceeds: SellerProceeds) -> None:
    net = sum((line.amount for line in ProceedsLine.objects.filter(proceeds=proceeds)), ZERO)
    proceeds.net = money(net)
    proceeds.save(update_fields=["net"])


def _lock_proceeds(order_id: int) -> SellerProceeds:
    return SellerProceeds.objects.select_for_update().get(order_id=order_id)


def proceeds_add_charge(
    *, order: Order, fulfillment: Fulfillment, kind: str, amount: Decimal, reason: str, actor: Any = None
) -> ProceedsLine:
    """Deduct a storage or transport charge the seller caused. Precondition: the caller holds the order's and
    the fulfillment's locks (this takes the proceeds' lock after them). Refused once proceeds are released."""
    if kind not in (ProceedsLine.Kind.STORAGE, ProceedsLine.Kind.TRANSPORT, ProceedsLine.Kind.ADJUSTMENT):
        raise DomainError("Choose storage, transport or adjustment.")
    amount = money(amount)
    if amount <= 0:
        raise DomainError("The charge must be greater than zero.")
    if not reason.strip():
        raise DomainError("Say why the seller is charged; they see the reason.")
    proceeds = _lock_proceeds(order.pk)
    if proceeds.status != ProceedsStatus.HELD:
        raise Conflict("The proceeds were already released; settle this with the seller separately.")
    line = ProceedsLine.objects.create(
        proceeds=proceeds, kind=kind, label=reason.strip()[:200], amount=-amount, actor=actor
    )
    _refresh_net(proceeds)
    record(
        fulfillment,
        track=Track.PROCEEDS,
        kind="charge",
        message=f"Seller charged ${amount:,}: {reason.strip()}",
        source=Source.STAFF if actor else Source.SYSTEM,
        actor=actor,
    )
    tell(order, "proceeds_changed", who=["seller"], amount=str(amount), reason=reason.strip(), net=str(proceeds.net))
    return line


def proceeds_charge_seller(*, order_id: int, actor: Any, kind: str, amount: Decimal, reason: str) -> ProceedsLine:
    """Staff: charge the seller for storage or transport they caused (admin action)."""
    with transaction.atomic(durable=True):
        order, fulfillment = lock(order_id)
        return proceeds_add_charge(
            order=order, fulfillment=fulfillment, kind=kind, amount=amount, reason=reason, actor=actor
        )


def proceeds_release(*, order: Order, fulfillment: Fulfillment, now: datetime) -> SellerProceeds | None:
    """HELD → RELEASED, at most once (a conditional UPDATE; None when it was not held). Precondition: called by
    completion inside its transaction, holding the order's and fulfillment's locks, after the hold check."""
    due = add_business_days(now, settings.PAYOUT_DUE_BUSINESS_DAYS)
    released = SellerProceeds.objects.filter(order_id=order.pk, status=ProceedsStatus.HELD).update(
        status=ProceedsStatus.RELEASED, released_at=now, payout_due_at=due
    )
    if released != 1:
        return None
    proceeds = _lock_proceeds(order.pk)
    _refresh_net(proceeds)
    record(
        fulfillment,
        track=Track.PROCEEDS,
        kind="released",
        message=f"Seller proceeds ${proceeds.net:,} released; payout due by {timezone.localtime(due):%b %-d}",
        from_status=ProceedsStatus.HELD,
        to_status=ProceedsStatus.RELEASED,
        net=str(proceeds.net),
    )
    tell(order, "proceeds_released", who=["seller"], amount=str(proceeds.net), due_date=due.isoformat())
    return proceeds


def proceeds_mark_paid(*, order_id: int, actor: Any, reference: str) -> SellerProceeds:
    """Staff record the payout (bank transfer reference). Only released proceeds; exactly once."""
    reference = reference.strip()
    if not reference:
        raise DomainError("Enter the payout's reference (the bank transfer or check number).")
    with transaction.atomic(durable=True):
        order, fulfillment = lock(order_id)
        proceeds = _lock_proceeds(order_id)
        if proceeds.status != ProceedsStatus.RELEASED:
            raise Conflict(
                f"Only released proceeds can be paid out; these are {proceeds.get_status_display().lower()}."
            )
        proceeds.status = ProceedsStatus.PAID_OUT
        proceeds.paid_out_at = timezone.now()
        proceeds.payout_reference = reference[:100]
        proceeds.paid_out_by = actor
        proceeds.save(update_fields=["status", "paid_out_at", "payout_reference", "paid_out_by"])
        record(
            fulfillment,
            track=Track.PROCEEDS,
            kind="paid_out",
            message=f"Payout of ${proceeds.net:,} sent (reference {proceeds.payout_reference})",
            source=Source.STAFF,
            actor=actor,
            from_status=ProceedsStatus.RELEASED,
            to_status=ProceedsStatus.PAID_OUT,
        )
        tell(order, "payout_sent", who=["seller"], amount=str(proceeds.net), reference=proceeds.payout_reference)
    return proceeds


def payouts_remind_staff(*, now: datetime | None = None) -> int:
    """Beat: one staff alert a day for each released payout past its due date."""
    now = now or timezone.now()
    reminded = 0
    overdue = SellerProceeds.objects.filter(status=ProceedsStatus.RELEASED, payout_due_at__lt=now).select_related(
        "order__vehicle", "order__fulfillment"
    )
    for proceeds in overdue:
        last = proceeds.payout_reminded_at
        if last is not None and (now - last).total_seconds() < 20 * 3600:
            continue
        with transaction.atomic(durable=True):
            claimed = SellerProceeds.objects.filter(
                pk=proceeds.pk, status=ProceedsStatus.RELEASED, payout_reminded_at=last
            ).update(payout_reminded_at=now)
            if not claimed:
                continue
            tell_staff(
                proceeds.order,
                f"Payout due: {proceeds.order.number}",
                f"${proceeds.net:,} for {proceeds.order.vehicle} was due to the seller by "
                f"{timezone.localtime(proceeds.payout_due_at):%b %-d}. Send it and record the reference.",
            )
        reminded += 1
    return reminded

"""Reads of the fulfillment domain: who may see what, the one next action, a seller's nets and statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from core.errors import NotFound
from core.money import ZERO
from fulfillment.holds import HoldReason, claim_window_ends_at, proceeds_hold_reasons
from fulfillment.models import (
    DeliveryMethod,
    Fulfillment,
    FulfillmentEvent,
    ProceedsStatus,
    SellerProceeds,
    StorageDay,
    TitleDocument,
    TitleStatus,
    TransportBooking,
    VehicleStatus,
)
from fulfillment.rules import OWING_DOCUMENTS
from fulfillment.services.common import role_of
from orders.models import Order

WHO_LABELS = {
    "buyer": "the buyer",
    "seller": "the seller",
    "staff": "our staff",
    "carrier": "the carrier network",
    "title_service": "the title service",
    "nobody": "",
}


@dataclass(frozen=True)
class NextAction:
    who: str  # buyer, seller, staff, carrier, title_service, nobody
    text: str
    by: datetime | None = None
    anchor: str = ""
    overdue: bool = False

    def for_viewer(self, role: str | None) -> str:
        """ "You" when the viewer must act, else who must."""
        if self.who == role:
            return "You"
        return WHO_LABELS.get(self.who, self.who).capitalize()


def fulfillment_of(order: Order) -> Fulfillment | None:
    return Fulfillment.objects.filter(order_id=order.pk).first()


def latest_booking(fulfillment: Fulfillment) -> TransportBooking | None:
    return fulfillment.bookings.order_by("-attempt").first()


def next_actions(order: Order, fulfillment: Fulfillment, *, now: datetime | None = None) -> list[NextAction]:
    """Everything still to do on a paid order, most urgent first."""
    now = now or timezone.now()
    actions: list[NextAction] = []
    if fulfillment.completed_at is not None:
        return [NextAction("nobody", "The sale is complete")]
    returning = claim_returning(order)
    if returning is not None:
        return [return_action(returning, now=now)]
    if order.status in (Order.Status.REFUNDED, Order.Status.CANCELLED):
        return [NextAction("nobody", f"The sale was {order.get_status_display().lower()}")]
    if order.balance > 0:
        actions.append(NextAction("buyer", f"Pay ${order.balance:,} for storage", anchor="pay"))
    status, title = fulfillment.vehicle_status, fulfillment.title_status
    if title in OWING_DOCUMENTS:
        late = now > fulfillment.documents_due_at
        text = "Upload new title documents" if title == TitleStatus.DOCUMENTS_REJECTED else "Upload the title documents"
        actions.append(
            NextAction("seller", text + (" (overdue)" if late else ""), fulfillment.documents_due_at, "title", late)
        )
    if status == VehicleStatus.AWAITING_CHOICE:
        actions.append(
            NextAction(
                "buyer",
                "Choose pickup or door-to-door transport (pickup is free until then)",
                fulfillment.free_storage_until,
                "vehicle",
            )
        )
    if fulfillment.released_at is None and status not in (VehicleStatus.PICKED_UP, VehicleStatus.DELIVERED):
        actions.append(
            NextAction("seller", "Release the vehicle: confirm it is ready to be collected", anchor="vehicle")
        )
    if status == VehicleStatus.AWAITING_PICKUP:
        free = fulfillment.free_storage_until
        actions.append(
            NextAction(
                "buyer",
                "Collect the vehicle with your pickup code" + (" (storage applies after)" if now < free else ""),
                free if now < free else None,
                "vehicle",
            )
        )
        actions.append(
            NextAction("seller", "Enter the buyer's pickup code when they collect the vehicle", anchor="vehicle")
        )
    booking = latest_booking(fulfillment) if fulfillment.delivery_method == DeliveryMethod.TRANSPORT else None
    if status == VehicleStatus.QUOTED:
        actions.append(NextAction("staff", "Book the carrier (the transport is paid)", anchor="vehicle"))
    elif status == VehicleStatus.BOOKED:
        actions.append(NextAction("carrier", "Assign a carrier to the transport", anchor="vehicle"))
    elif status == VehicleStatus.CARRIER_ASSIGNED and booking:
        actions.append(
            NextAction(
                "carrier",
                f"{booking.carrier_name or 'The carrier'} picks the vehicle up",
                booking.pickup_eta,
                "vehicle",
            )
        )
    elif status == VehicleStatus.PICKED_UP and fulfillment.delivery_method == DeliveryMethod.TRANSPORT and booking:
        actions.append(NextAction("carrier", "Deliver the vehicle", booking.delivery_eta, "vehicle"))
    elif status == VehicleStatus.CANCELLED:
        actions.append(
            NextAction("staff", "Book the transport again (the carrier network cancelled it)", anchor="vehicle")
        )
    if title == TitleStatus.DOCUMENTS_REVIEW:
        text = (
            "File the title transfer"
            if fulfillment.documents_approved_at
            else "Review the title documents (usually within one business day)"
        )
        actions.append(NextAction("staff", text, anchor="title"))
    elif title == TitleStatus.FILED:
        actions.append(NextAction("title_service", "Issue the new title", fulfillment.title_promised_by, "title"))
    elif title == TitleStatus.FILING_REJECTED:
        actions.append(NextAction("staff", "Fix the title filing the title service rejected", anchor="title"))
    elif title == TitleStatus.TITLE_ISSUED:
        actions.append(NextAction("buyer", "Confirm you received the new title (it is in the mail)", anchor="title"))
    if not actions:
        ends = claim_window_ends_at(order)
        actions.append(
            NextAction("nobody", "The sale completes when the claim window closes, unless a claim is opened", ends)
        )
    return actions


def claim_returning(order: Order) -> Any:
    """The order's claim whose vehicle is going back to the seller (a full refund with return), if any."""
    from fulfillment.models_claims import Claim, ClaimStatus

    return Claim.objects.filter(order_id=order.pk, status=ClaimStatus.RETURNING).first()


def return_action(claim: Any, *, now: datetime) -> NextAction:
    """Who acts next on a vehicle's return, and by when (claim_returns.py)."""
    anchor = f"claim-{claim.pk}"
    if claim.return_step == "seller":
        due = claim.receipt_due_at
        return NextAction("seller", "Confirm the vehicle is back with you (the buyer sent it back)", due, anchor,
                          bool(due and now > due))  # fmt: skip
    due = claim.return_due_at
    return NextAction("buyer", "Return the vehicle to the seller (you were refunded), then say it is on its way",
                      due, anchor, bool(due and now > due))  # fmt: skip


def next_action(order: Order, fulfillment: Fulfillment, *, role: str | None, now: datetime | None = None) -> NextAction:
    """The ONE next action shown on top of the order page: the viewer's own if they have one, else the most
    urgent one (staff see the most urgent one)."""
    actions = next_actions(order, fulfillment, now=now)
    if role in ("buyer", "seller"):
        for action in actions:
            if action.who == role:
                return action
    return actions[0]


def timeline(fulfillment: Fulfillment) -> QuerySet[FulfillmentEvent]:
    return fulfillment.events.select_related("actor").order_by("created_at", "pk")


def documents_visible(fulfillment: Fulfillment) -> list[TitleDocument]:
    return list(fulfillment.documents.exclude(status=TitleDocument.Status.REPLACED).order_by("kind", "-pk"))


def title_document_visible_to(*, order_id: int, document_id: int, user: Any) -> TitleDocument:
    """A title document for the order's buyer, its seller and staff; NotFound for anyone else."""
    document = (
        TitleDocument.objects.select_related("fulfillment__order")
        .filter(pk=document_id, fulfillment__order_id=order_id)
        .first()
    )
    if document is None or role_of(document.fulfillment.order, user) is None:
        raise NotFound("Document not found.")
    return document


def storage_summary(fulfillment: Fulfillment) -> dict[str, Any]:
    days = list(fulfillment.storage_days.order_by("day"))
    charged = [d for d in days if d.status == StorageDay.Status.CHARGED]
    waived = [d for d in days if d.status == StorageDay.Status.WAIVED]
    return {
        "days": days,
        "charged_days": len(charged),
        "charged_total": sum((d.amount for d in charged), ZERO),
        "waived_days": len(waived),
        "waived_reasons": sorted({d.get_reason_display() for d in waived}),
    }


# --- the seller's money ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaleNet:
    net: Decimal
    status: str
    status_label: str
    holds: tuple[HoldReason, ...] = ()


def seller_nets(orders: list[Order]) -> dict[int, SaleNet]:
    """For "My sales" (settings.SELLER_NET_PROVIDER): each paid sale's net proceeds and their state. Orders not
    paid yet have none (their net is not decided)."""
    found = SellerProceeds.objects.filter(order_id__in=[o.pk for o in orders])
    return {p.order_id: SaleNet(p.net, p.status, p.get_status_display()) for p in found}


def proceeds_view(order: Order) -> dict[str, Any] | None:
    proceeds = SellerProceeds.objects.filter(order_id=order.pk).first()
    if proceeds is None:
        return None
    return {
        "proceeds": proceeds,
        "lines": list(proceeds.lines.order_by("pk")),
        "holds": proceeds_hold_reasons(order) if proceeds.status == ProceedsStatus.HELD else [],
    }


@dataclass(frozen=True)
class StatementRow:
    order: Order
    proceeds: SellerProceeds | None
    gross: Decimal
    fee: Decimal
    charges: Decimal
    net: Decimal


def seller_statement(user: Any, *, year: int | None = None) -> dict[str, Any]:
    """Every sale of the seller with its price, seller fee, charges, net and where the money is."""
    orders = Order.objects.for_seller(user).select_related("vehicle").order_by("-sold_at")
    if year:
        orders = orders.filter(sold_at__year=year)
    proceeds = {p.order_id: p for p in SellerProceeds.objects.filter(seller=user).prefetch_related("lines")}
    rows = []
    for order in orders:
        found = proceeds.get(order.pk)
        lines = list(found.lines.all()) if found else []
        fee = -sum((line.amount for line in lines if line.kind == "seller_fee"), ZERO)
        charges = -sum((line.amount for line in lines if line.kind not in ("sale", "seller_fee")), ZERO)
        rows.append(
            StatementRow(
                order=order,
                proceeds=found,
                gross=order.vehicle_price,
                fee=fee,
                charges=charges,
                net=found.net if found else ZERO,
            )
        )
    by_status = {
        status: sum((r.net for r in rows if r.proceeds and r.proceeds.status == status), ZERO)
        for status in ProceedsStatus.values
    }
    return {
        "rows": rows,
        "totals": {
            "gross": sum((r.gross for r in rows if r.proceeds), ZERO),
            "fees": sum((r.fee for r in rows), ZERO),
            "charges": sum((r.charges for r in rows), ZERO),
            "net": sum((r.net for r in rows), ZERO),
            "held": by_status[ProceedsStatus.HELD],
            "released": by_status[ProceedsStatus.RELEASED],
            "paid_out": by_status[ProceedsStatus.PAID_OUT],
        },
        "years": sorted({o.sold_at.year for o in Order.objects.for_seller(user).only("sold_at")}, reverse=True),
    }


# --- claims -----------------------------------------------------------------------------------------------------


def claims_of(order: Order) -> list[Any]:
    """The order's claims, newest first, with their events and photos (for the order page and the API)."""
    from fulfillment.models_claims import Claim

    return list(
        Claim.objects.filter(order_id=order.pk).prefetch_related("events__photos", "events__actor").order_by("-pk")
    )


def claim_photo_visible_to(*, order_id: int, claim_id: int, photo_id: int, user: Any) -> Any:
    """A claim's photo for the order's buyer, its seller and staff; NotFound for anyone else."""
    from fulfillment.models_claims import ClaimPhoto

    photo = (
        ClaimPhoto.objects.select_related("claim__order")
        .filter(pk=photo_id, claim_id=claim_id, claim__order_id=order_id)
        .first()
    )
    if photo is None or role_of(photo.claim.order, user) is None:
        raise NotFound("Photo not found.")
    return photo


@dataclass(frozen=True)
class OrderTimelineEntry:
    at: datetime
    track: str
    message: str
    who: str = ""


def order_timeline_for_staff(order: Order) -> list[OrderTimelineEntry]:
    """Everything that happened on the order — its own events, both tracks, proceeds and claims — in time order."""
    from fulfillment.models_claims import ClaimEvent
    from orders.models import OrderEvent

    entries = [
        OrderTimelineEntry(e.created_at, "order", e.message or e.kind, str(e.actor or ""))
        for e in OrderEvent.objects.filter(order=order).select_related("actor")
    ]
    entries += [
        OrderTimelineEntry(e.created_at, e.track, e.message or e.kind, str(e.actor or e.get_source_display()))
        for e in FulfillmentEvent.objects.filter(fulfillment__order=order).select_related("actor")
    ]
    entries += [
        OrderTimelineEntry(
            e.created_at, f"claim #{e.claim_id}", f"{e.kind.replace('_', ' ')}: {e.message}"[:300], e.get_role_display()
        )  # fmt: skip
        for e in ClaimEvent.objects.filter(claim__order=order)
    ]
    return sorted(entries, key=lambda entry: entry.at)

"""What fulfillment adds to the order page (settings.ORDER_PAGE_SECTIONS): the one next action, the vehicle and
title tracks with their forms, the documents, the seller's proceeds, and the tracks' events on the timeline."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from core.errors import DomainError
from core.pricing import active_fee_schedule, seller_fee
from fulfillment import rules, selectors
from fulfillment.forms import TransportForm
from fulfillment.holds import claim_window_ends_at
from fulfillment.models import DeliveryMethod, Fulfillment, TitleDocument, TitleStatus, VehicleStatus
from fulfillment.models_claims import ClaimCategory
from fulfillment.rules import PICKUP_CODE_MAX_FAILURES
from fulfillment.services.common import role_of
from fulfillment.services.title import UPLOADS_OPEN, current_documents, required_kinds
from fulfillment.services.vehicle import order_transport_quote
from orders.models import Order
from orders.pages import OrderPageSections, TimelineEntry
from orders.payments import card_on_file


def _transport_context(request: HttpRequest, order: Order, fulfillment: Fulfillment) -> dict[str, Any]:
    """The transport quote for the buyer's ZIP (?delivery_zip= on the page, else their address) and the
    booking form prefilled from their profile."""
    buyer = order.buyer
    asked = request.GET.get("delivery_zip")
    zip_code = (asked if asked is not None else buyer.postal_code or "")[:20]
    enclosed = request.GET.get("enclosed") == "true"
    quote, error = None, ""
    if zip_code:
        try:
            quote = order_transport_quote(order, zip_code=zip_code, enclosed=enclosed)
        except DomainError as exc:
            error = exc.message
    same_zip = quote is not None and quote.destination_zip == (buyer.postal_code or "")[:5]
    initial = {
        "name": buyer.get_full_name(),
        "phone": buyer.phone,
        "address": buyer.address_line1 if same_zip else "",
        "city": quote.destination.city.title() if quote else buyer.city,
        "state": quote.destination.state if quote else buyer.state,
        "zip": quote.destination_zip if quote else zip_code,
        "enclosed": enclosed,
        "expected_price": str(quote.price) if quote else "",
        "token": uuid.uuid4().hex,
    }
    return {
        "quote": quote,
        "quote_error": error,
        "quote_zip": zip_code,
        "enclosed": enclosed,
        "form": TransportForm(initial=initial),
    }


def order_sections(request: HttpRequest, order: Order) -> OrderPageSections | None:
    fulfillment = Fulfillment.objects.filter(order_id=order.pk).first()
    role = role_of(order, request.user)
    sections = OrderPageSections(hide_buyer_price=role == "seller")
    if role == "seller":
        proceeds = selectors.proceeds_view(order)
        # Before the buyer pays, the seller's view of the sale still: hammer price, seller fee, what they
        # will receive (the proceeds lines take over once they exist).
        fee = seller_fee(order.vehicle_price)
        expected = {"hammer": order.vehicle_price, "fee": fee, "net": order.vehicle_price - fee}
        sections.main.append(
            _render(
                "fulfillment/_proceeds.html",
                request,
                {"order": order, **(proceeds or {}), "role": role, "expected": expected},
            )
        )
    if fulfillment is None:
        return sections
    now = timezone.now()
    action = selectors.next_action(order, fulfillment, role=role, now=now)
    booking = selectors.latest_booking(fulfillment)
    current = current_documents(fulfillment)
    kinds = required_kinds(order)
    context: dict[str, Any] = {
        "order": order,
        "f": fulfillment,
        "role": role,
        "now": now,
        "action": action,
        "actor": action.for_viewer(role),
        "booking": booking if fulfillment.delivery_method == DeliveryMethod.TRANSPORT else None,
        "storage": selectors.storage_summary(fulfillment),
        "fees": active_fee_schedule(),
        "documents": selectors.documents_visible(fulfillment),
        "current_documents": current,
        "required_kinds": kinds,
        "kind_choices": [(kind, TitleDocument.Kind(kind).label) for kind in kinds],
        "next_kind": next(
            (k for k in kinds if k not in current or current[k].status == TitleDocument.Status.REJECTED), kinds[0]
        ),
        "uploads_open": fulfillment.title_status in UPLOADS_OPEN and role in ("seller", "staff"),
        "attempts_left": max(PICKUP_CODE_MAX_FAILURES - fulfillment.pickup_code_failures, 0),
        "TitleStatus": TitleStatus,
        "VehicleStatus": VehicleStatus,
        "card": card_on_file(request.user) if role == "buyer" else None,
    }
    may_choose = fulfillment.vehicle_status in (VehicleStatus.AWAITING_CHOICE, VehicleStatus.AWAITING_PICKUP)
    if role == "buyer" and may_choose:
        context.update(_transport_context(request, order, fulfillment))
    sections.next_action = _render("fulfillment/_next_action.html", request, context)
    sections.main.append(_render("fulfillment/_vehicle.html", request, context))
    sections.main.append(_render("fulfillment/_title.html", request, context))
    sections.side.append(_render("fulfillment/_documents.html", request, context))
    sections.main.append(_render("fulfillment/_claims.html", request, _claims_context(order, fulfillment, role, now)))
    sections.timeline = [
        TimelineEntry(at=event.created_at, message=event.message, kind=event.kind, track=event.track)
        for event in selectors.timeline(fulfillment)
    ]
    return sections


def _claims_context(order: Order, fulfillment: Fulfillment, role: str | None, now: Any) -> dict[str, Any]:
    """The order's claims and, for the buyer, the categories a claim may be opened for now (rules.claim_refusal)."""
    claims = selectors.claims_of(order)
    open_claim = next((c for c in claims if c.is_open), None)
    decided = {c.category for c in claims}
    choices: list[tuple[str, str]] = []
    if role == "buyer" and open_claim is None and fulfillment.completed_at is None:
        for value, label in ClaimCategory.choices:
            refusal = rules.claim_refusal(
                category=value, delivered_at=order.delivered_at, delivery_method=fulfillment.delivery_method,
                title_status=fulfillment.title_status, title_promised_by=fulfillment.title_promised_by,
                window_seconds=settings.FULFILLMENT_CLAIM_WINDOW_SECONDS, now=now,
            )  # fmt: skip
            if refusal is None and value not in decided and order.status == Order.Status.IN_FULFILLMENT:
                choices.append((value, label))
    return {
        "order": order,
        "role": role,
        "claims": claims,
        "claim_choices": choices,
        "window_ends": claim_window_ends_at(order),
        "f": fulfillment,
        "now": now,
    }


def _render(template: str, request: HttpRequest, context: dict[str, Any]) -> Any:
    return mark_safe(render_to_string(template, context, request=request))  # noqa: S308 - our own templates

"""What holds a seller's proceeds: THE one check, before completion releases them.

CONTRACT (claims plug in here):
    proceeds_hold_reasons(order, *, fulfillment=None, now=None) -> list[HoldReason]
An empty list means nothing holds the proceeds: completion may release them. Each entry of
settings.PROCEEDS_HOLD_CHECKS is a dotted callable `(order, fulfillment, now) -> list[HoldReason]`; the reasons
of all of them are returned, in that order. Completion calls this inside its transaction, holding the order's
and the fulfillment's row locks, so a check that reads rows another service writes under the order's lock
(a claim opened with `orders.services.order_lock(order_id)` held) sees a consistent answer. A check must be
quick, read-only and make no network call. Claims add one entry, `open_claims` below, returning
HoldReason("claim_open", "Claim #12 is open", None).
Pages show the reasons to the seller ("Held: the claim window is open until Tue Nov 24").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from orders.models import Order


@dataclass(frozen=True)
class HoldReason:
    code: str
    message: str
    until: datetime | None = None


def claim_window_ends_at(order: Order) -> datetime | None:
    """The buyer may open a claim until this long after delivery (FULFILLMENT_CLAIM_WINDOW_SECONDS, 7 days)."""
    if order.delivered_at is None:
        return None
    return order.delivered_at + timedelta(seconds=settings.FULFILLMENT_CLAIM_WINDOW_SECONDS)


def tracks_unfinished(order: Order, fulfillment: Any, now: datetime) -> list[HoldReason]:
    reasons = []
    if fulfillment is None:
        return [HoldReason("not_started", "The sale's title transfer and delivery have not started")]
    if not fulfillment.title_ended:
        reasons.append(HoldReason("title", "The title transfer is not finished"))
    if not fulfillment.vehicle_ended:
        reasons.append(HoldReason("vehicle", "The buyer does not have the vehicle yet"))
    return reasons


def claim_window(order: Order, fulfillment: Any, now: datetime) -> list[HoldReason]:
    ends = claim_window_ends_at(order)
    if ends is not None and ends > now:
        local = timezone.localtime(ends)
        return [
            HoldReason("claim_window", f"The buyer's claim window is open until {local:%a %b %-d, %-I:%M %p %Z}", ends)
        ]
    return []


def order_state(order: Order, fulfillment: Any, now: datetime) -> list[HoldReason]:
    if order.status in (Order.Status.CANCELLED, Order.Status.REFUNDED):
        return [HoldReason("order_closed", f"The order was {order.get_status_display().lower()}")]
    return []


def open_claims(order: Order, fulfillment: Any, now: datetime) -> list[HoldReason]:
    """A claim that is open (waiting for the seller, with staff, or its refund settling) holds the proceeds."""
    from fulfillment.models_claims import Claim

    return [
        HoldReason("claim_open", f"Claim #{pk} is open: {label}")
        for pk, label in (
            (claim.pk, claim.get_status_display().lower()) for claim in Claim.objects.filter(order_id=order.pk).open()
        )
    ]


@cache
def _checks(paths: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(import_string(path) for path in paths)


def proceeds_hold_reasons(order: Order, *, fulfillment: Any = None, now: datetime | None = None) -> list[HoldReason]:
    now = now or timezone.now()
    if fulfillment is None:
        from fulfillment.models import Fulfillment

        fulfillment = Fulfillment.objects.filter(order_id=order.pk).first()
    reasons: list[HoldReason] = []
    for check in _checks(tuple(settings.PROCEEDS_HOLD_CHECKS)):
        reasons.extend(check(order, fulfillment, now))
    return reasons

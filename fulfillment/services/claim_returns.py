"""The vehicle goes back to the seller after a claim decided as a full refund with return.

FULFILLMENT.md says nothing about returns; docs/backoffice.md's claim rules decide the money at the decision
(the refund of every charge, the order refunded, the seller's proceeds brought to zero, all exactly once in
`claim_decisions`), so the return moves no money: it is the step after, with who acts and by when on the order
page, the console and the API.

1. The decision settles (`claim_decisions._apply_outcome`): the claim goes to RETURNING with `return_due_at`
   (5 business days: the buyer brings the vehicle back to where it was collected, or hands it to a carrier).
2. The buyer says it is on its way (`claim_return_sent`, optional, with how): the seller then confirms receipt
   within 2 business days (`receipt_due_at`).
3. The seller confirms receipt (`claim_return_received`), or staff mark it returned (`fulfillment.answer_claim`):
   the claim is DECIDED. Under the order's, the fulfillment's and the claim's locks, so two confirmations — twice,
   or at the same moment — make one transition; the other is told it was confirmed already (409 `returned`).
A deadline that passes (`claims_returns_sweep`, with the seller-deadline beat) tells both parties and staff,
once; staff then act (write to the parties, mark it returned when it is).
Every step is a ClaimEvent and a notice to both parties (claim_return_sent, claim_returned, claim_return_late).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, NotAllowed, NotFound
from fulfillment import rules
from fulfillment.models_claims import Claim, ClaimEvent, ClaimStatus
from fulfillment.services.claims import _text, claim_event, lock_claim, set_claim_status, tell_claim, tell_staff_claim
from fulfillment.services.common import role_of
from orders.models import Order

Role = ClaimEvent.Role
RECEIPT_PERMISSION = "fulfillment.answer_claim"


def claim_return_start(order: Order, claim: Claim, *, now: datetime) -> None:
    """The decision's refunds all went through: the buyer now returns the vehicle. Precondition: the claim's
    locks are held and the claim is being decided as a full refund with return (claim_decisions)."""
    due = rules.claim_return_due_at(now)
    set_claim_status(claim, ClaimStatus.RETURNING, return_due_at=due, due_at=due)


def _claim_for(claim_id: int, actor: Any) -> tuple[Claim, str]:
    claim = Claim.objects.select_related("order").filter(pk=claim_id).first()
    role = role_of(claim.order, actor) if claim is not None else None
    if claim is None or role is None:
        raise NotFound("Claim not found.")
    return claim, role


def _must_be_returning(claim: Claim) -> None:
    if claim.returned_at is not None:
        raise Conflict(
            f"The vehicle's return was already confirmed ({timezone.localtime(claim.returned_at):%b %-d, %-I:%M %p}).",
            code="returned",
        )
    if claim.status != ClaimStatus.RETURNING:
        raise Conflict("This claim has no vehicle return under way.", code="claim_not_returning")


def claim_return_sent(*, actor: Any, claim_id: int, note: str = "", now: datetime | None = None) -> Claim:
    """The buyer says the vehicle is on its way back (dropped off, or handed to a carrier) and how; the seller
    confirms receipt within 2 business days. 409 `return_sent` when said already."""
    note = (note or "").strip()
    if note:
        note = _text(note, field="note")
    _, role = _claim_for(claim_id, actor)
    if role != "buyer":
        raise NotAllowed("Only the buyer says the vehicle is on its way back.")
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        order, _, claim = lock_claim(claim_id)
        _must_be_returning(claim)
        if claim.return_sent_at is not None:
            raise Conflict("You already told the seller the vehicle is on its way back.", code="return_sent")
        due = rules.claim_receipt_due_at(now)
        claim.return_sent_at, claim.return_note, claim.receipt_due_at, claim.due_at = now, note, due, due
        claim.save(update_fields=["return_sent_at", "return_note", "receipt_due_at", "due_at", "updated_at"])
        claim_event(claim, kind="return_sent", role=Role.BUYER, actor=actor, message=note, due_at=due.isoformat())
        tell_claim(order, claim, "claim_return_sent", who=["seller", "buyer"], due_at=due.isoformat(), note=note)
    return claim


def claim_return_received(*, actor: Any, claim_id: int, note: str = "", now: datetime | None = None) -> Claim:
    """The seller confirms the vehicle is back, or staff (`fulfillment.answer_claim`) mark it returned: the claim
    is decided. Exactly one transition however many confirm, and whenever: the second gets 409 `returned`."""
    note = (note or "").strip()
    if note:
        note = _text(note, field="note")
    _, role = _claim_for(claim_id, actor)
    if role == "buyer":
        raise NotAllowed("The seller confirms the vehicle is back (or our staff do).")
    if role == "staff" and not actor.has_perm(RECEIPT_PERMISSION):
        raise NotAllowed("You may not act on claims.")
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        order, _, claim = lock_claim(claim_id)
        _must_be_returning(claim)
        from_status = set_claim_status(claim, ClaimStatus.DECIDED, returned_at=now, returned_by=actor, due_at=None)
        who = "the seller" if role == "seller" else "our staff"
        claim_event(
            claim, kind="returned", role=Role.SELLER if role == "seller" else Role.STAFF, actor=actor,
            message=note or f"The vehicle is back with the seller (confirmed by {who}).",
            from_status=from_status, to_status=claim.status,
        )  # fmt: skip
        tell_claim(order, claim, "claim_returned", who=["buyer", "seller"], by=role, at=now.isoformat())
        if role == "seller":
            tell_staff_claim(claim, f"Claim {claim.number}: the vehicle is back", "The seller confirmed receipt.")
    return claim


def claims_returns_sweep(*, now: datetime | None = None) -> int:
    """Beat: a return past its deadline (the buyer's, or the seller's confirmation) — both parties and staff are
    told, once per claim (`return_late_at`, set under the claim's lock)."""
    now = now or timezone.now()
    late = Claim.objects.filter(status=ClaimStatus.RETURNING, due_at__lt=now, return_late_at__isnull=True)
    told = 0
    for claim_id in list(late.values_list("pk", flat=True)):
        with transaction.atomic(durable=True):
            order, _, claim = lock_claim(claim_id)
            if claim.status != ClaimStatus.RETURNING or claim.return_late_at is not None or claim.due_at is None:
                continue
            if claim.due_at >= now:
                continue
            claim.return_late_at = now
            claim.save(update_fields=["return_late_at", "updated_at"])
            who = claim.return_step  # buyer or seller
            text = (
                "The buyer has not returned the vehicle by the deadline."
                if who == "buyer"
                else "The seller has not confirmed the vehicle is back by the deadline."
            )
            claim_event(claim, kind="return_late", role=Role.SYSTEM, message=text + " Our staff follow up.", late=who)
            tell_claim(order, claim, "claim_return_late", who=["buyer", "seller"], late=who,
                       due_at=claim.due_at.isoformat())  # fmt: skip
            tell_staff_claim(claim, f"Claim {claim.number}: the vehicle's return is late", text)
        told += 1
    return told

"""Staff decide a claim: deny, partial refund, full refund with return, or cancel the sale — with a reason
both parties see. Money moves through `orders.payments.order_refund`, exactly once:

1. `claim_decide`, one transaction under the order's, the fulfillment's and the claim's locks: the claim must
   still be open and decidable (a second staff member deciding at the same time waits for the lock, then finds
   it settling or decided: Conflict). The refund plan — which charge, how much, and an idempotency key per step
   (`claim-<id>-<attempt>-<n>`) — is written with the claim moving to SETTLING.
2. Outside any transaction, each step calls `order_refund(idempotency_key=…)`, which returns the existing
   refund for a key it has seen (checked under the order's lock), so a retry, a double submit or the beat task
   resuming a decision whose process died never refunds twice.
3. `claim_settle`, under the same locks, reads the steps' payments: all approved → DECIDED and the effects
   (a partial refund comes off the seller's proceeds; a full refund with return or a cancelled sale reverses
   the order and zeroes the proceeds; after a full refund with return the claim is RETURNING until the vehicle
   is back with the seller, `claim_returns.py`); a refund refused → back to IN_REVIEW with the reason, staff told; still
   in flight → stays SETTLING until `claims_settle_stalled` (beat) finds it settled.
Money outcomes need `orders.refund_order` (finance, admin); denying needs `fulfillment.answer_claim`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import structlog
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.errors import Conflict, DomainError, NotAllowed
from core.money import ZERO, money
from fulfillment import rules
from fulfillment.models import ProceedsLine, SellerProceeds
from fulfillment.models_claims import (
    DECIDABLE_CLAIM_STATUSES,
    MONEY_OUTCOMES,
    RULED_CLAIM_STATUSES,
    Claim,
    ClaimEvent,
    ClaimOutcome,
    ClaimStatus,
)
from fulfillment.services.claim_returns import claim_return_start
from fulfillment.services.claims import claim_event, lock_claim, set_claim_status, tell_claim, tell_staff_claim
from fulfillment.services.proceeds import proceeds_add_charge
from orders.gateway import AuthorizeNetGateway
from orders.models import Order, Payment
from orders.payments import OPEN as OPEN_PAYMENT
from orders.payments import order_refund, payment_reconcile, refundable_amount, refundable_charges
from orders.services import order_reverse_sale

logger = structlog.get_logger(__name__)
Role = ClaimEvent.Role
SETTLED_PAYMENT = (Payment.Status.APPROVED, Payment.Status.DECLINED, Payment.Status.ERROR)
STALLED_AFTER = timedelta(seconds=60)
MONEY_PERMISSION = "orders.refund_order"
ANSWER_PERMISSION = "fulfillment.answer_claim"


def may_decide(user: Any, outcome: str) -> bool:
    """Deny: support and up (`fulfillment.answer_claim`); with money: finance or admin (`orders.refund_order`)."""
    if outcome in MONEY_OUTCOMES:
        return bool(user.has_perm(ANSWER_PERMISSION) and user.has_perm(MONEY_PERMISSION))
    return bool(user.has_perm(ANSWER_PERMISSION))


def _key(claim: Claim, step: int) -> str:
    return f"claim-{claim.pk}-{claim.decision_attempt}-{step}"


def _plan(order: Order, claim: Claim, outcome: str, amount: Decimal | None) -> list[dict[str, Any]]:
    """The refunds of this attempt. Precondition: the order's lock is held (amounts in flight are counted)."""
    if outcome == ClaimOutcome.PARTIAL_REFUND:
        if amount is None or money(amount) <= 0:
            raise DomainError("Enter the amount to refund.", details={"amount": ["Required for a partial refund."]})
        amount = money(amount)
        available = refundable_amount(order)
        if amount > available:
            raise DomainError(
                f"A refund can be at most ${available:,} (what was paid, less refunds so far).",
                details={"amount": [f"At most {available}."]},
            )
        charge = next((c for c, left in refundable_charges(order) if left >= amount), None)
        if charge is None:
            raise DomainError(
                "No single payment covers that amount; refund less, or decide a full refund.",
                details={"amount": ["Larger than any one payment."]},
            )
        return [{"charge": charge.pk, "amount": str(amount), "key": _key(claim, 1)}]
    return [
        {"charge": charge.pk, "amount": str(left), "key": _key(claim, step)}
        for step, (charge, left) in enumerate(refundable_charges(order), start=1)
    ]


def claim_decide(
    *,
    claim_id: int,
    actor: Any,
    outcome: str,
    reason: str,
    amount: Decimal | None = None,
    charge_seller: bool = True,
    gateway: AuthorizeNetGateway | None = None,
    now: datetime | None = None,
) -> Claim:
    """Staff decide (see the module's doc). Returns the claim as it stands after the money moved: DECIDED,
    IN_REVIEW again (the refund was refused; nothing else changed) or SETTLING (the payment processor has not
    answered yet). Raises NotAllowed without the permission, Conflict when the claim was decided already."""
    reason = (reason or "").strip()
    if outcome not in ClaimOutcome.values or outcome == ClaimOutcome.NONE:
        raise DomainError("Choose the decision.", details={"outcome": ["Invalid choice."]})
    if not reason:
        raise DomainError("Give the reason: both parties read it.", details={"reason": ["This field is required."]})
    if not may_decide(actor, outcome):
        raise NotAllowed(
            "Deciding a claim with a refund needs the finance role."
            if outcome in MONEY_OUTCOMES
            else "You may not decide claims."
        )
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        order, fulfillment, claim = lock_claim(claim_id)
        if claim.status not in DECIDABLE_CLAIM_STATUSES:
            raise Conflict(f"Claim {claim.number} was already decided ({claim.get_status_display().lower()}).",
                           code="claim_decided")  # fmt: skip
        if outcome not in MONEY_OUTCOMES:
            from_status = set_claim_status(
                claim, ClaimStatus.DECIDED, outcome=outcome, decision_reason=reason, decided_by=actor,
                decided_at=now, due_at=None,
            )  # fmt: skip
            claim_event(claim, kind="decided", role=Role.STAFF, actor=actor, message=reason, from_status=from_status,
                        to_status=claim.status, outcome=outcome)  # fmt: skip
            tell_claim(order, claim, "claim_decided", who=["buyer", "seller"], outcome=claim.get_outcome_display(),
                       reason=reason)  # fmt: skip
            return claim
        claim.decision_attempt += 1
        plan = _plan(order, claim, outcome, amount)
        total = sum((Decimal(step["amount"]) for step in plan), ZERO)
        from_status = set_claim_status(
            claim, ClaimStatus.SETTLING, outcome=outcome, decision_reason=reason, decided_by=actor, refund_plan=plan,
            refund_requested=total, settling_since=now, charge_seller=charge_seller, due_at=None,
        )  # fmt: skip
        claim_event(
            claim, kind="decision_started", role=Role.STAFF, actor=actor, message=reason, from_status=from_status,
            to_status=claim.status, outcome=outcome, amount=str(total), attempt=claim.decision_attempt,
        )  # fmt: skip
    claim_refund_steps(claim_id=claim_id, actor=actor, gateway=gateway)
    claim = claim_settle(claim_id=claim_id, actor=actor)
    if claim.status == ClaimStatus.SETTLING:  # the processor did not answer: staff are told now
        _tell_refund_unknown(claim_id)
    return claim


def claim_refund_steps(*, claim_id: int, actor: Any = None, gateway: AuthorizeNetGateway | None = None) -> None:
    """Send the refunds of the claim's current plan, stopping at the first that is not approved. Safe to run
    again (each step's key returns its refund). Precondition: no transaction is open (gateway calls)."""
    claim = Claim.objects.get(pk=claim_id)
    if claim.status != ClaimStatus.SETTLING:
        return
    for step in claim.refund_plan:
        try:
            payment = order_refund(
                order_id=claim.order_id,
                amount=Decimal(step["amount"]),
                reason=f"Claim {claim.number}: {claim.decision_reason}",
                actor=actor or claim.decided_by,
                gateway=gateway,
                idempotency_key=step["key"],
                charge_id=step["charge"],
            )
        except DomainError as exc:  # e.g. someone refunded the order meanwhile: nothing was sent
            _refund_refused(claim_id=claim_id, attempt=claim.decision_attempt, message=exc.message)
            return
        if payment.status != Payment.Status.APPROVED:
            return


def _refund_refused(*, claim_id: int, attempt: int, message: str) -> None:
    with transaction.atomic(durable=True):
        _, _, claim = lock_claim(claim_id)
        if claim.status == ClaimStatus.SETTLING and claim.decision_attempt == attempt:
            _back_to_review(claim, message)


def _back_to_review(claim: Claim, message: str) -> None:
    now = timezone.now()
    due = rules.claim_decision_due_at(now)
    from_status = set_claim_status(claim, ClaimStatus.IN_REVIEW, settling_since=None, decision_due_at=due, due_at=now)
    claim_event(claim, kind="refund_failed", role=Role.SYSTEM, message=f"The refund did not go through: {message}",
                from_status=from_status, to_status=claim.status)  # fmt: skip
    tell_staff_claim(claim, f"Claim {claim.number}: the refund failed", f"{message} Decide again.")


def _claim_refunded(claim: Claim) -> Decimal:
    """Everything refunded through this claim, over every attempt."""
    total = Payment.objects.filter(
        order_id=claim.order_id, idempotency_key__startswith=f"claim-{claim.pk}-", status=Payment.Status.APPROVED
    ).aggregate(s=Sum("amount"))["s"]
    return money(total or ZERO)


def claim_settle(*, claim_id: int, actor: Any = None) -> Claim:
    """Record the outcome of the current plan's refunds (see the module's doc). Safe to run again."""
    with transaction.atomic(durable=True):
        order, fulfillment, claim = lock_claim(claim_id)
        if claim.status != ClaimStatus.SETTLING:
            return claim
        keys = [step["key"] for step in claim.refund_plan]
        payments = {p.idempotency_key: p for p in Payment.objects.filter(order=order, idempotency_key__in=keys)}
        steps = [payments.get(key) for key in keys]
        failed = next((p for p in steps if p is not None and p.status in (Payment.Status.DECLINED,
                                                                          Payment.Status.ERROR)), None)  # fmt: skip
        claim.refunded = _claim_refunded(claim)
        if failed is not None:
            claim.save(update_fields=["refunded", "updated_at"])
            _back_to_review(claim, failed.reason or "the payment processor refused it.")
            return claim
        if any(p is None or p.status != Payment.Status.APPROVED for p in steps):
            claim.save(update_fields=["refunded", "updated_at"])
            return claim  # in flight: claims_settle_stalled looks again
        _apply_outcome(order, fulfillment, claim, actor=actor or claim.decided_by)
        return claim


def _apply_outcome(order: Order, fulfillment: Any, claim: Claim, *, actor: Any) -> None:
    """Precondition: the order's, the fulfillment's and the claim's locks are held (proceeds' is taken here)."""
    now = timezone.now()
    this_attempt = sum((Decimal(step["amount"]) for step in claim.refund_plan), ZERO)
    outcome = claim.outcome
    if outcome == ClaimOutcome.PARTIAL_REFUND and claim.charge_seller and this_attempt > 0:
        proceeds_add_charge(
            order=order, fulfillment=fulfillment, kind=ProceedsLine.Kind.ADJUSTMENT, amount=this_attempt,
            reason=f"Claim {claim.number}: partial refund to the buyer", actor=actor,
        )  # fmt: skip
    elif outcome in (ClaimOutcome.FULL_REFUND_RETURN, ClaimOutcome.SALE_CANCELLED):
        to_status = Order.Status.REFUNDED if outcome == ClaimOutcome.FULL_REFUND_RETURN else Order.Status.CANCELLED
        order_reverse_sale(order=order, to_status=to_status, actor=actor,
                           message=f"Claim {claim.number}: {claim.get_outcome_display().lower()}")  # fmt: skip
        proceeds = SellerProceeds.objects.filter(order_id=order.pk).first()
        if proceeds is not None and proceeds.net > 0:
            proceeds_add_charge(
                order=order, fulfillment=fulfillment, kind=ProceedsLine.Kind.ADJUSTMENT, amount=proceeds.net,
                reason=f"Claim {claim.number}: the sale was reversed", actor=actor,
            )  # fmt: skip
    from_status = claim.status
    claim.decided_at, claim.settling_since = now, None
    if outcome == ClaimOutcome.FULL_REFUND_RETURN:  # the vehicle goes back next (claim_returns.py)
        claim_return_start(order, claim, now=now)
    else:
        set_claim_status(claim, ClaimStatus.DECIDED, due_at=None)
    return_due = claim.return_due_at.isoformat() if claim.return_due_at else ""
    claim_event(
        claim, kind="decided", role=Role.STAFF, actor=actor, message=claim.decision_reason, from_status=from_status,
        to_status=claim.status, outcome=outcome, refunded=str(claim.refunded), return_due_at=return_due,
    )  # fmt: skip
    tell_claim(order, claim, "claim_decided", who=["buyer", "seller"], outcome=claim.get_outcome_display(),
               reason=claim.decision_reason, amount=str(this_attempt), return_due_at=return_due)  # fmt: skip


def claims_settle_stalled(*, now: datetime | None = None, gateway: AuthorizeNetGateway | None = None) -> int:
    """Beat: decisions whose refunds did not finish (the process died, or the processor had not answered) —
    send what is missing (idempotent keys), ask the processor about refunds whose outcome is unknown, and
    settle. Returns how many were decided (the outcome stands: decided, or the vehicle going back)."""
    now = now or timezone.now()
    stalled = Claim.objects.filter(status=ClaimStatus.SETTLING, settling_since__lt=now - STALLED_AFTER)
    decided = 0
    for claim_id in list(stalled.values_list("pk", flat=True)):
        if claim_resume(claim_id=claim_id, gateway=gateway).status in RULED_CLAIM_STATUSES:
            decided += 1
    return decided


def refund_steps_of(claim: Claim) -> list[tuple[dict[str, Any], Payment | None]]:
    """The current plan's steps with their refunds (None: not sent yet)."""
    keys = [step["key"] for step in claim.refund_plan]
    payments = {p.idempotency_key: p for p in Payment.objects.filter(order_id=claim.order_id, idempotency_key__in=keys)}
    return [(step, payments.get(step["key"])) for step in claim.refund_plan]


def claim_resume(*, claim_id: int, gateway: AuthorizeNetGateway | None = None) -> Claim:
    """A settling decision moved on: send the refunds not sent yet (their keys return those that were), ask the
    payment processor about each whose outcome is unknown (`orders.payments.payment_reconcile`, the payments'
    own reconciliation), send what follows, and settle. Staff are told once when a refund's outcome stays
    unknown (the home page counts it; the claim page says what to do). Safe to run at the same time as the beat
    or a retry. Precondition: no transaction is open (gateway calls)."""
    claim_refund_steps(claim_id=claim_id, gateway=gateway)
    claim = Claim.objects.get(pk=claim_id)
    if claim.status != ClaimStatus.SETTLING:
        return claim
    for _, payment in refund_steps_of(claim):
        if payment is not None and payment.status in OPEN_PAYMENT:
            payment_reconcile(payment_id=payment.pk, gateway=gateway)
    claim_refund_steps(claim_id=claim_id, gateway=gateway)
    claim = claim_settle(claim_id=claim_id)
    if claim.status == ClaimStatus.SETTLING:
        _tell_refund_unknown(claim_id)
    return claim


def _tell_refund_unknown(claim_id: int) -> None:
    """Once per decision attempt: a refund of the plan has no known outcome — an event and a staff alert."""
    with transaction.atomic(durable=True):
        _, _, claim = lock_claim(claim_id)
        if claim.status != ClaimStatus.SETTLING:
            return
        unknown = [p for _, p in refund_steps_of(claim) if p is not None and p.status in OPEN_PAYMENT]
        told = claim.events.filter(kind="refund_unknown", data__attempt=claim.decision_attempt).exists()
        if not unknown or told:
            return
        what = ", ".join(f"${p.amount:,} ({p.invoice_number})" for p in unknown)
        text = (f"The payment processor has not confirmed the refund of {what}: we do not know yet whether the "
                "money moved. Reconciliation asks again every few minutes and then settles the claim.")  # fmt: skip
        # No message: the parties' claim shows messages; theirs says the refund is being confirmed.
        claim_event(claim, kind="refund_unknown", role=Role.SYSTEM, attempt=claim.decision_attempt, detail=text)
        tell_staff_claim(claim, f"Claim {claim.number}: a refund's outcome is unknown", text)

"""Money moves exactly once.

A payment is three steps, never one transaction around a network call:
1. `_charge_begin`: lock the order, refuse a second attempt while one is in flight, write a PENDING
   Payment with a unique invoice number, commit.
2. Call the gateway outside any transaction.
3. `_payment_settle`: lock the order again and record the outcome (only if the payment is still open).

When the gateway gives no answer, the identical charge is sent again: Authorize.Net either processes
it (the first never arrived) or rejects it as a duplicate of the same invoice and amount (reason 11,
carrying the original transaction id), which `transaction_details` then settles. Until settled the
payment stays UNKNOWN and blocks new attempts; `payments_reconcile_unknown` retries from beat. Refunds carry
their own invoice number and the same window, so an unanswered refund is reconciled the same way; an unanswered
void is read on its charge (`payment_reconcile`).
"""

from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import structlog
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from accounts.authorize_net import WebhookEvent
from accounts.models import CardOnFile
from core import idempotency, metrics
from core.errors import Conflict, DomainError, NotFound
from core.money import money
from notifications.services import notify, notify_staff
from orders import gateway as gw
from orders.gateway import AuthorizeNetGateway as PaymentGateway
from orders.gateway import GatewayResult
from orders.live import broadcast_order_changed
from orders.models import Order, Payment
from orders.services import announce_paid, order_event, order_transition, order_url

logger = structlog.get_logger(__name__)
OPEN = (Payment.Status.PENDING, Payment.Status.UNKNOWN)
# Charges carry transactionSettings duplicateWindow = 8 h (Authorize.Net's maximum): resending the
# identical charge is only safe while the gateway still recognises it as a duplicate.
DUPLICATE_WINDOW_SECONDS = 28800
RESEND_SAFETY_MARGIN_SECONDS = 600


def default_gateway() -> PaymentGateway:
    return gw.get_gateway()


def card_on_file(user: Any) -> CardOnFile | None:
    """The buyer's card on file, unless it has expired."""
    card = CardOnFile.objects.filter(user_id=user.pk).first()
    return None if card is None or card.is_expired() else card


def _next_invoice_number(order: Order) -> str:
    return f"{order.number}-{order.payments.count() + 1}"


# --- charge -------------------------------------------------------------------------------


def order_pay(
    *, order_id: int, user: Any, idempotency_key: str | None = None, gateway: PaymentGateway | None = None
) -> Payment | idempotency.Replay:
    """Charge the buyer's card on file for the order's balance (the purchase, or storage after it). Returns
    the Payment, or with an `idempotency_key` already used for this order the first answer
    (core/idempotency.py: a Replay; a key used for something else is KeyReused, one whose charge is still in
    flight KeyInFlight). Raises NotFound for someone else's order and Conflict while another attempt is in
    flight or when nothing is owed."""
    return _charge(order_id=order_id, user=user, idempotency_key=idempotency_key, gateway=gateway)


def order_pay_transport(
    *,
    order_id: int,
    user: Any,
    amount: Decimal,
    idempotency_key: str | None = None,
    gateway: PaymentGateway | None = None,
) -> Payment | idempotency.Replay:
    """Charge transport, as its own payment on a paid order: the same steps and exactly-once rules (and
    Idempotency-Key answers) as the purchase. The amount becomes the order's transport line (and total) when,
    and only when, it is approved."""
    amount = money(amount)
    if amount <= 0:
        raise DomainError("The transport price must be greater than zero.")
    return _charge(
        order_id=order_id,
        user=user,
        idempotency_key=idempotency_key,
        gateway=gateway,
        purpose=Payment.Purpose.TRANSPORT,
        amount=amount,
    )


def _charge(
    *,
    order_id: int,
    user: Any,
    idempotency_key: str | None,
    gateway: PaymentGateway | None,
    purpose: str | None = None,
    amount: Decimal | None = None,
) -> Payment | idempotency.Replay:
    gateway = gateway or default_gateway()
    parts: tuple[object, ...] = (order_id,) if purpose is None else (order_id, purpose, amount)
    keyed = idempotency.keyed(user, idempotency.parse_key(idempotency_key), "payment", *parts)
    if keyed is not None and (stored := idempotency.replay(keyed)) is not None:
        return stored
    try:
        payment, card = _charge_begin(order_id=order_id, user=user, keyed=keyed, purpose=purpose, amount=amount)
    except idempotency.KeyTaken:  # the same key, committed meanwhile by a concurrent request
        assert keyed is not None
        return idempotency.replay_taken(keyed)
    result = _send_charge(gateway, payment, card)
    if result.status == "unknown":
        _payment_mark_unknown(payment_id=payment.pk, reason=result.reason)
        result = _reconcile_charge(gateway, payment, card)
    return _payment_settle(payment_id=payment.pk, result=result)


def _charge_begin(
    *,
    order_id: int,
    user: Any,
    keyed: idempotency.Keyed | None,
    purpose: str | None = None,
    amount: Decimal | None = None,
) -> tuple[Payment, CardOnFile]:
    card = card_on_file(user)
    with transaction.atomic(durable=True):
        order = Order.objects.select_for_update().filter(pk=order_id).first()
        if order is None or (order.buyer_id != user.pk):
            raise NotFound("Order not found.")
        if keyed is not None:
            idempotency.claim(keyed)  # answered when the charge is settled (_payment_settle)
        if Payment.objects.filter(order=order, kind=Payment.Kind.CHARGE, status__in=OPEN).exists():
            raise Conflict("A payment for this order is already being processed. Please wait a moment.")
        if Payment.objects.filter(order=order, kind=Payment.Kind.CHARGE, status=Payment.Status.HELD).exists():
            raise Conflict("Your payment is being reviewed by the card processor; we'll email you the result.")
        if purpose == Payment.Purpose.TRANSPORT:
            if order.status not in (Order.Status.PAID, Order.Status.IN_FULFILLMENT):
                raise Conflict("Transport can be paid once the vehicle is paid for.")
        elif not order.is_payable:
            raise Conflict(
                "This order is already paid."
                if order.balance == 0
                else f"This order is {order.get_status_display().lower()}."
            )
        if card is None:
            raise DomainError(
                "Add a card on file before paying.", code="card_required", details={"url": "/account/card/"}
            )
        payment = Payment.objects.create(
            order=order,
            kind=Payment.Kind.CHARGE,
            purpose=purpose or order.payment_purpose,
            amount=amount if amount is not None else order.balance,
            invoice_number=_next_invoice_number(order),
            idempotency_key=keyed.key if keyed is not None else None,
            requested_by=user,
            card_last4=card.last4,
            card_brand=card.brand,
        )
        order_event(
            order=order,
            kind="payment_started",
            actor=user,
            message=f"Charging ${payment.amount:,} to {card.brand} ending {card.last4}",
        )
    return payment, card


def _send_charge(gateway: PaymentGateway, payment: Payment, card: CardOnFile) -> GatewayResult:
    order = payment.order
    return gw.charge(
        gateway,
        customer_profile_id=card.customer_profile_id,
        payment_profile_id=card.payment_profile_id,
        amount=payment.amount,
        invoice_number=payment.invoice_number,
        description=f"{order.number} {order.vehicle}"[:255],
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    )


def _reconcile_charge(gateway: PaymentGateway, payment: Payment, card: CardOnFile) -> GatewayResult:
    """Settle an unknown outcome: resend the identical charge and read the duplicate's original."""
    result = _send_charge(gateway, payment, card)
    if result.status == "duplicate" and result.transaction_id:
        found = gw.details(gateway, transaction_id=result.transaction_id)
        if found is not None and gw.is_captured(found) and found.invoice_number == payment.invoice_number:
            return GatewayResult(status="approved", transaction_id=found.trans_id, reason="Confirmed after a timeout")
        if found is not None and gw.has_failed(found):
            return GatewayResult(
                status="declined", transaction_id=found.trans_id, reason=found.reason_text or "The card was declined."
            )
        return GatewayResult(status="unknown", transaction_id=result.transaction_id, reason="Still reconciling")
    if result.status == "duplicate":
        return GatewayResult(status="unknown", reason="Duplicate without the original transaction id")
    return result


def _payment_mark_unknown(*, payment_id: int, reason: str) -> None:
    Payment.objects.filter(pk=payment_id, status=Payment.Status.PENDING).update(
        status=Payment.Status.UNKNOWN, reason=reason[:500], updated_at=timezone.now()
    )


STATUS_FOR_RESULT = {
    "approved": Payment.Status.APPROVED,
    "declined": Payment.Status.DECLINED,
    "error": Payment.Status.ERROR,
    "held": Payment.Status.HELD,
    "unknown": Payment.Status.UNKNOWN,
    "duplicate": Payment.Status.UNKNOWN,
}


def _payment_settle(*, payment_id: int, result: GatewayResult, actor: Any = None) -> Payment:
    """Record a gateway outcome on an open payment, once. Precondition: no transaction is open."""
    new_status = STATUS_FOR_RESULT[result.status]
    with transaction.atomic(durable=True):
        order = Order.objects.select_for_update().get(payments__pk=payment_id)
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status not in (*OPEN, Payment.Status.HELD):
            return payment  # settled already (e.g. by a webhook or the reconciliation task)
        payment.status = new_status
        payment.gateway_transaction_id = result.transaction_id or payment.gateway_transaction_id
        payment.response_code = result.response_code
        payment.reason = result.reason[:500]
        payment.save(update_fields=["status", "gateway_transaction_id", "response_code", "reason", "updated_at"])
        metrics.payments_total.labels(result=f"{payment.kind}_{new_status}").inc()
        if payment.kind == Payment.Kind.CHARGE:
            _apply_charge_outcome(order=order, payment=payment, actor=actor)
            if payment.idempotency_key and payment.requested_by_id:  # the key's answer: this first outcome
                from orders.answers import payment_answer

                idempotency.record(payment.requested_by_id, payment.idempotency_key, payment_answer(payment))
        else:
            _apply_reversal_outcome(order=order, payment=payment, actor=actor)
    return payment


def _apply_charge_outcome(*, order: Order, payment: Payment, actor: Any) -> None:
    if payment.status == Payment.Status.APPROVED:
        order.amount_paid = money(order.amount_paid + payment.amount)
        fields = ["amount_paid", "updated_at"]
        if payment.purpose == Payment.Purpose.TRANSPORT:  # transport joins the order as it is paid
            order.transport_fee = money(order.transport_fee + payment.amount)
            order.total = money(order.total + payment.amount)
            fields += ["transport_fee", "total"]
        order.save(update_fields=fields)
        what = "" if payment.purpose == Payment.Purpose.PURCHASE else f" for {payment.get_purpose_display().lower()}"
        order_event(
            order=order,
            kind="payment_approved",
            actor=actor,
            message=f"Paid ${payment.amount:,}{what}",
            transaction_id=payment.gateway_transaction_id,
            purpose=payment.purpose,
        )
        if order.balance == 0 and order.status == Order.Status.PENDING_PAYMENT:
            order.paid_at = timezone.now()
            order_transition(order=order, to_status=Order.Status.PAID, actor=actor, message="Paid in full")
            transaction.on_commit(partial(announce_paid, order.pk))
        transaction.on_commit(partial(broadcast_order_changed, order.pk))
        context = {"order_number": order.number, "amount": str(payment.amount), "url": order_url(order)}
        transaction.on_commit(
            lambda: notify(
                user=order.buyer,
                kind="payment_received",
                context=context,
                object_key=f"order:{order.pk}",
                event=f"payment:{payment.pk}",  # each payment is its own event, even with the same words
            )
        )
    elif payment.status in (Payment.Status.DECLINED, Payment.Status.ERROR):
        reason = payment.reason or "The card was declined."
        order_event(order=order, kind="payment_failed", actor=actor, message=reason, purpose=payment.purpose)
        transaction.on_commit(partial(broadcast_order_changed, order.pk))
        context = {"order_number": order.number, "reason": reason, "url": order_url(order)}
        transaction.on_commit(
            lambda: notify(
                user=order.buyer,
                kind="payment_failed",
                context=context,
                object_key=f"order:{order.pk}",
                event=f"payment:{payment.pk}",  # each payment is its own event, even with the same words
            )
        )
    elif payment.status == Payment.Status.HELD:
        order_event(order=order, kind="payment_held", actor=actor, message="Held for review by the card processor")
        transaction.on_commit(
            lambda: notify_staff(
                kind="staff_alert",
                context={
                    "subject": f"Payment held for review: {order.number}",
                    "message": payment.reason,
                    "url": order_url(order),
                },
                object_key=f"order:{order.pk}",
            )
        )


# --- refunds ------------------------------------------------------------------------------


def refundable_amount(order: Order) -> Decimal:
    """Paid minus refunded minus refunds in flight: the most a new refund may be."""
    in_flight = order.payments.filter(kind__in=[Payment.Kind.REFUND, Payment.Kind.VOID], status__in=OPEN).aggregate(
        s=Sum("amount")
    )["s"] or Decimal("0")
    return money(order.amount_paid - order.amount_refunded - in_flight)


def order_refund(
    *,
    order_id: int,
    amount: Decimal,
    reason: str,
    actor: Any,
    gateway: PaymentGateway | None = None,
    idempotency_key: str | None = None,
    charge_id: int | None = None,
) -> Payment:
    """Staff refund, full or partial, never more than was paid. An unsettled charge can only be
    voided in full; a settled one is refunded for any amount up to what remains on it.

    `idempotency_key` (a caller's own, e.g. a claim decision's "claim-12-1-3"): when a refund with this key
    exists on the order it is returned as it is and nothing is sent (checked under the order's lock, so two
    callers with one key make one refund). `charge_id`: reverse that charge (else the newest that covers it)."""
    gateway = gateway or default_gateway()
    if not reason.strip():
        raise DomainError("A reason is required for a refund.")
    amount = money(amount)
    if amount <= 0:
        raise DomainError("The refund amount must be greater than zero.")
    with transaction.atomic(durable=True):
        order = Order.objects.select_for_update().get(pk=order_id)
        if idempotency_key is not None:
            existing = order.payments.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return existing
        available = refundable_amount(order)
        if amount > available:
            raise DomainError(f"A refund can be at most ${available:,} (what was paid, less refunds so far).")
        charge = _charge_to_reverse(order, amount, charge_id=charge_id)
        refund = Payment.objects.create(
            order=order,
            kind=Payment.Kind.REFUND,
            amount=amount,
            invoice_number=_next_invoice_number(order),
            refers_to=charge,
            requested_by=actor,
            card_last4=charge.card_last4,
            card_brand=charge.card_brand,
            note=reason,
            idempotency_key=idempotency_key,
        )
        order_event(order=order, kind="refund_started", actor=actor, message=f"Refunding ${amount:,}: {reason}")
    found = gw.details(gateway, transaction_id=charge.gateway_transaction_id)
    if found is None:
        result = GatewayResult(
            status="error", reason="The payment processor is not answering. Nothing was refunded; try again."
        )
    elif gw.is_voidable(found):
        if amount != charge.amount or charge.reversals.filter(status=Payment.Status.APPROVED).exists():
            result = GatewayResult(
                status="error",
                reason="This payment has not settled yet (usually within a day), so only the full amount can be "
                "voided now. Refund the full amount, or try a partial refund after it settles.",
            )
        else:
            Payment.objects.filter(pk=refund.pk).update(kind=Payment.Kind.VOID)
            result = gw.void(gateway, transaction_id=charge.gateway_transaction_id)
    elif found.is_settled:
        result = _send_refund(gateway, refund, charge)
    else:
        result = GatewayResult(
            status="error", reason=f"The payment is {found.transaction_status}; it cannot be refunded."
        )
    return _payment_settle(payment_id=refund.pk, result=result, actor=actor)


def _send_refund(gateway: PaymentGateway, refund: Payment, charge: Payment) -> GatewayResult:
    """The refund carries its own invoice number and the 8-hour duplicate window: sent again identically it is
    either processed (the first never arrived) or refused as a duplicate naming the first (reconciliation)."""
    return gw.refund(
        gateway,
        transaction_id=charge.gateway_transaction_id,
        amount=refund.amount,
        card_last4=charge.card_last4,
        invoice_number=refund.invoice_number,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
    )


def refundable_charges(order: Order) -> list[tuple[Payment, Decimal]]:
    """Each approved charge of the order, newest first, with what is left to reverse on it (approved and
    in-flight reversals deducted); charges with nothing left are omitted."""
    found = []
    for charge in order.payments.filter(kind=Payment.Kind.CHARGE, status=Payment.Status.APPROVED).order_by("-pk"):
        reversed_total = charge.reversals.filter(Q(status=Payment.Status.APPROVED) | Q(status__in=OPEN)).aggregate(
            s=Sum("amount")
        )["s"] or Decimal("0")
        if charge.amount - reversed_total > 0:
            found.append((charge, money(charge.amount - reversed_total)))
    return found


def _charge_to_reverse(order: Order, amount: Decimal, *, charge_id: int | None = None) -> Payment:
    for charge, left in refundable_charges(order):
        if (charge_id is None or charge.pk == charge_id) and left >= amount:
            return charge
    if charge_id is not None:
        raise DomainError("That payment does not have this much left to refund.")
    raise DomainError("No single payment covers that amount; refund each payment separately.")


def _apply_reversal_outcome(*, order: Order, payment: Payment, actor: Any) -> None:
    if payment.status != Payment.Status.APPROVED:
        order_event(order=order, kind="refund_failed", actor=actor, message=payment.reason or "The refund failed.")
        return
    order.amount_refunded = money(order.amount_refunded + payment.amount)
    order.save(update_fields=["amount_refunded", "updated_at"])
    verb = "Voided" if payment.kind == Payment.Kind.VOID else "Refunded"
    order_event(
        order=order,
        kind="refund",
        actor=actor,
        message=f"{verb} ${payment.amount:,}: {payment.note}".rstrip(": "),
        transaction_id=payment.gateway_transaction_id,
    )
    if order.amount_refunded >= order.amount_paid and order.status in (Order.Status.PAID, Order.Status.PENDING_PAYMENT):
        order_transition(order=order, to_status=Order.Status.REFUNDED, actor=actor, message="Refunded in full")
    context = {"order_number": order.number, "amount": str(payment.amount), "url": order_url(order)}
    transaction.on_commit(
        lambda: notify(
            user=order.buyer,
            kind="refund_issued",
            context=context,
            object_key=f"order:{order.pk}",
            event=f"payment:{payment.pk}",  # each payment is its own event, even with the same words
        )
    )


# --- reconciliation -----------------------------------------------------------------------


def payments_reconcile_unknown(*, gateway: PaymentGateway | None = None, older_than_seconds: int = 30) -> int:
    """Beat task body: settle charges, refunds and voids whose outcome is unknown (or stuck pending after a
    crash). Returns how many were settled."""
    gateway = gateway or default_gateway()
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    stuck = Payment.objects.filter(status__in=OPEN, updated_at__lt=cutoff).values_list("pk", flat=True)
    return sum(1 for pk in list(stuck) if payment_reconcile(payment_id=pk, gateway=gateway).status not in OPEN)


def payment_reconcile(*, payment_id: int, gateway: PaymentGateway | None = None) -> Payment:
    """Ask the gateway what became of one payment whose outcome is unknown (or stuck pending) and record it:
    a charge or a refund is sent again identically (processed if the first never arrived, else refused as a
    duplicate naming the first, which is then read); a void is read on its charge (voided, or still voidable:
    voided now). Past the duplicate window a resend could move money twice: staff are alerted instead, once.
    Returns the payment as it stands (still open when the gateway gave no answer). Precondition: no transaction
    is open (gateway calls). Safe to run at the same time as another (the outcome is recorded once)."""
    gateway = gateway or default_gateway()
    payment = Payment.objects.select_related("order__buyer", "refers_to").get(pk=payment_id)
    if payment.status not in OPEN:
        return payment
    resend_deadline = timezone.now() - timedelta(seconds=DUPLICATE_WINDOW_SECONDS - RESEND_SAFETY_MARGIN_SECONDS)
    if payment.created_at < resend_deadline and payment.kind != Payment.Kind.VOID:
        _alert_unreconciled(payment)
        return payment
    if payment.kind == Payment.Kind.CHARGE:
        card = card_on_file(payment.order.buyer)
        if card is None:
            return payment
        result = _reconcile_charge(gateway, payment, card)
    else:
        result = _reconcile_reversal(gateway, payment)
    if result.status in ("unknown", "duplicate"):
        return payment
    return _payment_settle(payment_id=payment.pk, result=result)


def _reconcile_reversal(gateway: PaymentGateway, payment: Payment) -> GatewayResult:
    """Settle an unknown refund or void (see payment_reconcile)."""
    charge = payment.refers_to
    if charge is None:
        return GatewayResult(status="unknown", reason="No charge to read")
    if payment.kind == Payment.Kind.VOID:
        found = gw.details(gateway, transaction_id=charge.gateway_transaction_id)
        if found is None:
            return GatewayResult(status="unknown", reason="Still reconciling")
        if found.transaction_status == "voided":
            return GatewayResult(status="approved", transaction_id=found.trans_id, reason="Confirmed after a timeout")
        if gw.is_voidable(found):
            return gw.void(gateway, transaction_id=charge.gateway_transaction_id)
        return GatewayResult(
            status="error",
            reason=f"Nothing was voided: the payment is {found.transaction_status} now. Refund it instead.",
        )
    result = _send_refund(gateway, payment, charge)
    if result.status == "duplicate" and result.transaction_id:
        found = gw.details(gateway, transaction_id=result.transaction_id)
        if found is not None and gw.is_refunded(found):
            return GatewayResult(status="approved", transaction_id=found.trans_id, reason="Confirmed after a timeout")
        if found is not None and gw.has_failed(found):
            return GatewayResult(status="declined", transaction_id=found.trans_id, reason=found.reason_text)
        return GatewayResult(status="unknown", transaction_id=result.transaction_id, reason="Still reconciling")
    if result.status == "duplicate":
        return GatewayResult(status="unknown", reason="Duplicate without the original transaction id")
    return result


def _alert_unreconciled(payment: Payment) -> None:
    """Past the duplicate window a resend could move money twice: a person must look it up."""
    if payment.note.startswith("staff alerted"):
        return
    what = payment.get_kind_display()
    alerted = "staff alerted: outcome unknown past the duplicate window"
    note = alerted if payment.kind == Payment.Kind.CHARGE else f"{alerted}. {payment.note}"
    Payment.objects.filter(pk=payment.pk).update(note=note)
    order = payment.order
    notify_staff(
        kind="staff_alert",
        context={
            "subject": f"Payment outcome unknown: {order.number}",
            "message": f"{what} {payment.invoice_number} for ${payment.amount} got no answer from the gateway. "
            "Look it up in the Authorize.Net console (by its invoice number); its webhook records it when it "
            "went through.",
            "url": order_url(order),
        },
        object_key=f"payment:{payment.pk}",
    )


# --- gateway events (webhooks) ---------------------------------------------------------------

CAPTURE_EVENTS = {
    "net.authorize.payment.authcapture.created",
    "net.authorize.payment.capture.created",
    "net.authorize.payment.priorAuthCapture.created",
}


def payment_apply_gateway_event(*, event: WebhookEvent) -> str:
    """Reconcile our records with what the gateway reports. Idempotent: a payment already in the
    reported state is left alone. Returns a short description of what happened."""
    transaction_id, invoice_number = event.trans_id, event.invoice_number
    amount = event.amount or Decimal("0.00")
    if event.event_type in CAPTURE_EVENTS or event.event_type == "net.authorize.payment.fraud.approved":
        payment = (
            Payment.objects.filter(kind=Payment.Kind.CHARGE)
            .filter(
                Q(invoice_number=invoice_number)
                | Q(gateway_transaction_id=transaction_id, gateway_transaction_id__gt="")
            )
            .first()
        )
        if payment is None:
            return "ignored: no matching charge"
        approved = event.response_code in ("", "1") or event.event_type.endswith("fraud.approved")
        result = GatewayResult(
            status="approved" if approved else "declined",
            transaction_id=transaction_id,
            reason="Reported by Authorize.Net",
        )
        return f"charge {_payment_settle(payment_id=payment.pk, result=result).status}"
    if event.event_type == "net.authorize.payment.fraud.declined":
        payment = Payment.objects.filter(kind=Payment.Kind.CHARGE, gateway_transaction_id=transaction_id).first()
        if payment is None:
            return "ignored: no matching charge"
        result = GatewayResult(status="declined", transaction_id=transaction_id, reason="Declined after review")
        return f"charge {_payment_settle(payment_id=payment.pk, result=result).status}"
    if event.event_type in {"net.authorize.payment.refund.created", "net.authorize.payment.void.created"}:
        return _record_external_reversal(
            event_type=event.event_type, transaction_id=transaction_id, invoice_number=invoice_number, amount=amount
        )
    return "ignored: event type not handled"


def _record_external_reversal(*, event_type: str, transaction_id: str, invoice_number: str, amount: Decimal) -> str:
    """A refund or void done in the gateway's console: record it once against its charge."""
    if Payment.objects.filter(
        gateway_transaction_id=transaction_id, kind__in=[Payment.Kind.REFUND, Payment.Kind.VOID]
    ).exists():
        return "already recorded"
    is_void = event_type.endswith("void.created")
    charge_lookup = Q(gateway_transaction_id=transaction_id) if is_void else Q(invoice_number=invoice_number)
    charge = Payment.objects.filter(charge_lookup, kind=Payment.Kind.CHARGE, status=Payment.Status.APPROVED).first()
    if charge is None:
        return "ignored: no matching charge"
    ours_in_flight = (
        charge.reversals.filter(status__in=OPEN).filter(Q(amount=amount) | Q(kind=Payment.Kind.VOID)).first()
    )
    if ours_in_flight is not None:  # the webhook overtook our own refund's response
        result = GatewayResult(status="approved", transaction_id=transaction_id, reason="Confirmed by Authorize.Net")
        return f"{_payment_settle(payment_id=ours_in_flight.pk, result=result).kind} confirmed"
    with transaction.atomic(durable=True):
        order = Order.objects.select_for_update().get(pk=charge.order_id)
        if is_void:
            amount = charge.amount
        amount = min(amount, money(order.amount_paid - order.amount_refunded))
        if amount <= 0:
            return "ignored: nothing left to reverse"
        reversal = Payment.objects.create(
            order=order,
            kind=Payment.Kind.VOID if is_void else Payment.Kind.REFUND,
            status=Payment.Status.APPROVED,
            amount=amount,
            invoice_number=_next_invoice_number(order),
            gateway_transaction_id=transaction_id,
            refers_to=charge,
            card_last4=charge.card_last4,
            card_brand=charge.card_brand,
            note="Made in the Authorize.Net console",
        )
        _apply_reversal_outcome(order=order, payment=reversal, actor=None)
    return f"{reversal.kind} recorded"

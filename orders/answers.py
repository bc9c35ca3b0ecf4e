"""What paying answers, as the API shows it and as it is stored for Idempotency-Key replays (core/idempotency.py):
the payment's serializer and the status and message by the payment's outcome."""

from typing import Any

from rest_framework import serializers

from core.idempotency import Answer
from orders.models import Payment


class PaymentOutput(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = [
            "id",
            "kind",
            "purpose",
            "status",
            "amount",
            "invoice_number",
            "gateway_transaction_id",
            "card_brand",
            "card_last4",
            "reason",
            "created_at",
        ]


MESSAGES = {
    Payment.Status.APPROVED: (200, "Payment approved. Thank you!"),
    Payment.Status.HELD: (202, "Your payment is being reviewed by the card processor."),
    Payment.Status.UNKNOWN: (202, "We're confirming your payment with the card processor."),
    Payment.Status.PENDING: (202, "We're confirming your payment with the card processor."),
}


def payment_answer(payment: Payment) -> Answer:
    """200 approved, 202 held or still confirming, 402 declined (or a gateway error) with the reason."""
    data: dict[str, Any] = dict(PaymentOutput(payment).data)
    if payment.status in MESSAGES:
        status, message = MESSAGES[Payment.Status(payment.status)]
        return Answer(status, {"message": message, "data": data})
    reason = payment.reason or "The card was declined."
    return Answer(402, {"error": reason, "code": "payment_declined", "details": {"payment": data}})

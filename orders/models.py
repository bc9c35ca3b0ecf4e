from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core.money import ZERO


class OrderQuerySet(models.QuerySet["Order"]):
    def for_buyer(self, user: Any) -> "OrderQuerySet":
        return self.filter(buyer=user)

    def for_seller(self, user: Any) -> "OrderQuerySet":
        return self.filter(seller=user)

    def visible_to(self, user: Any) -> "OrderQuerySet":
        if getattr(user, "is_staff", False):
            return self
        return self.filter(Q(buyer=user) | Q(seller=user))

    def awaiting_payment(self) -> "OrderQuerySet":
        return self.filter(status=Order.Status.PENDING_PAYMENT)

    def overdue(self, now: datetime | None = None) -> "OrderQuerySet":
        return self.awaiting_payment().filter(due_at__lt=now or timezone.now())


class Order(models.Model):
    """A sale: created once per source (a won auction, a buy-now or an accepted offer)."""

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", "Awaiting payment"
        PAID = "paid", "Paid"
        IN_FULFILLMENT = "in_fulfillment", "Title and transport in progress"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        REFUNDED = "refunded", "Refunded"

    class Source(models.TextChoices):
        AUCTION = "auction", "Auction"
        BUY_NOW = "buy_now", "Buy now"
        OFFER = "offer", "Accepted offer"

    number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    source_type = models.CharField(max_length=10, choices=Source.choices)
    source_id = models.PositiveBigIntegerField()
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="purchases")
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sales")
    vehicle = models.ForeignKey("vehicles.Vehicle", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT)

    buyer_state = models.CharField(max_length=2, blank=True)
    vehicle_price = models.DecimalField(max_digits=12, decimal_places=2)
    buyer_fee = models.DecimalField(max_digits=12, decimal_places=2)
    documentation_fee = models.DecimalField(max_digits=12, decimal_places=2)
    title_fee = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    sales_tax_rate = models.DecimalField(max_digits=6, decimal_places=5, default=Decimal("0"))
    sales_tax = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    transport_fee = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    storage_fee = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    late_fee = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    seller_fee = models.DecimalField(
        max_digits=12, decimal_places=2, default=ZERO,
        help_text="The seller fee of this sale (fulfillment's proceeds hold the seller's lines); kept here for reports",
    )  # fmt: skip
    total = models.DecimalField(max_digits=12, decimal_places=2)
    amount_paid = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    amount_refunded = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)

    sold_at = models.DateTimeField()
    due_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    late_fee_applied_at = models.DateTimeField(null=True, blank=True)
    flagged_overdue_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True, help_text="The buyer has the vehicle")
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[OrderQuerySet] = OrderQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["source_type", "source_id"], name="uniq_order_per_source"),
            models.CheckConstraint(condition=Q(amount_refunded__lte=F("amount_paid")), name="refund_le_paid"),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="order_status_due"),
            # Reports by sale date (backoffice): every column they read, so a report scans this index alone.
            models.Index(
                fields=[
                    "sold_at",
                    "status",
                    "seller",
                    "buyer",
                    "source_type",
                    "vehicle_price",
                    "buyer_fee",
                    "documentation_fee",
                    "late_fee",
                    "storage_fee",
                    "seller_fee",
                    "total",
                    "amount_paid",
                    "due_at",
                    "paid_at",
                ],
                name="order_report_cover",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Order {self.pk}"

    @property
    def balance(self) -> Decimal:
        """What the buyer still owes. Refunds don't reopen a balance."""
        return max(self.total - self.amount_paid, ZERO)

    @property
    def net_paid(self) -> Decimal:
        return self.amount_paid - self.amount_refunded

    @property
    def is_payable(self) -> bool:
        """Something is owed on a live order: the purchase before payment, storage after it."""
        return self.balance > 0 and self.status in PAYABLE_STATUSES

    @property
    def payment_purpose(self) -> str:
        """What paying the balance pays for: the purchase while it is unpaid, else storage (the only line
        added to an order after payment that is not paid as it is added)."""
        return Payment.Purpose.PURCHASE if self.status == self.Status.PENDING_PAYMENT else Payment.Purpose.STORAGE

    @property
    def cancelled_for_non_payment(self) -> bool:
        """Cancelled after its payment deadline passed (only unpaid orders can be cancelled): the buyer did not
        pay. An auction sale cancelled so may be offered to the runner-up (OFFERS.md "Second chance")."""
        return (
            self.status == self.Status.CANCELLED and self.cancelled_at is not None and self.cancelled_at >= self.due_at
        )


PAYABLE_STATUSES = (Order.Status.PENDING_PAYMENT, Order.Status.PAID, Order.Status.IN_FULFILLMENT)


# The order's money, in invoice order: shown read-only by the admin and the API alike.
ORDER_PRICE_FIELDS = (
    "vehicle_price",
    "buyer_fee",
    "documentation_fee",
    "title_fee",
    "sales_tax_rate",
    "sales_tax",
    "transport_fee",
    "storage_fee",
    "late_fee",
    "total",
)
ORDER_PAYMENT_FIELDS = ("amount_paid", "amount_refunded")
ORDER_AMOUNT_FIELDS = ORDER_PRICE_FIELDS + ORDER_PAYMENT_FIELDS


class OrderEvent(models.Model):
    """Append-only timeline of an order: status changes, payments, refunds, fees, notes."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"


class Payment(models.Model):
    """One movement of money with the gateway: a charge, a refund or a void.

    The row is written (status PENDING) and committed before the gateway is called, so a crash or
    timeout leaves evidence to reconcile with getTransactionDetails before any retry.
    """

    class Kind(models.TextChoices):
        CHARGE = "charge", "Charge"
        REFUND = "refund", "Refund"
        VOID = "void", "Void"

    class Purpose(models.TextChoices):
        PURCHASE = "purchase", "Purchase"
        TRANSPORT = "transport", "Transport"
        STORAGE = "storage", "Storage"

    class Status(models.TextChoices):
        PENDING = "pending", "In flight"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        ERROR = "error", "Error"
        HELD = "held", "Held for review"
        UNKNOWN = "unknown", "Outcome unknown — reconciling"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    purpose = models.CharField(
        max_length=10,
        choices=Purpose.choices,
        default=Purpose.PURCHASE,
        help_text="The order line a charge pays (transport is added to the order when its charge is approved)",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    invoice_number = models.CharField(max_length=20, unique=True)
    gateway_transaction_id = models.CharField(max_length=40, blank=True, db_index=True)
    refers_to = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversals")
    card_last4 = models.CharField(max_length=4, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    response_code = models.CharField(max_length=4, blank=True)
    reason = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # NULL keys don't collide; MariaDB ignores conditional unique constraints, so none is used.
            models.UniqueConstraint(fields=["order", "idempotency_key"], name="uniq_payment_idempotency"),
        ]
        indexes = [
            # The console's "needs attention" count and the reconciliation beat: payments by status and age.
            models.Index(fields=["status", "updated_at"], name="payment_status_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.status})"


class Invoice(models.Model):
    """The rendered PDF of an order's invoice at one point in time (re-rendered when lines change)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="invoices")
    file = models.FileField(upload_to="invoices/%Y/%m/")
    fingerprint = models.CharField(max_length=64, help_text="Hash of the content it shows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["order", "fingerprint"], name="uniq_invoice_version")]

    def __str__(self) -> str:
        return f"Invoice {self.order_id} {self.fingerprint[:8]}"

"""Claims and disputes after the sale (imported into fulfillment.models).

A buyer opens a claim on an order (not as described or damaged in transport within the claim window after
delivery; a title not issued by the promised date); the seller answers within 2 business days; staff decide
(deny, partial refund, full refund with return, cancel the sale) with a reason both parties see. Only
`fulfillment.services.claims` and `fulfillment.services.claim_decisions` write these rows; every step is a
`ClaimEvent` written in the same transaction. Claims live in fulfillment because everything they rule on is
fulfillment's: the delivery that starts the window, the promised title date, the seller's proceeds they hold
and adjust, and the lock order (order → fulfillment → claim → proceeds) completion uses.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models

from core.money import ZERO


class ClaimCategory(models.TextChoices):
    DAMAGE = "damage", "Damage the condition report did not state"
    MECHANICAL = "mechanical", "Mechanical problem the condition report did not state"
    ODOMETER = "odometer", "Odometer reading differs"
    TITLE_BRAND = "title_brand", "Title brand not disclosed"
    KEYS = "keys", "Keys missing"
    NOT_AS_DESCRIBED = "not_as_described", "Otherwise not as described"
    TRANSPORT_DAMAGE = "transport_damage", "Damaged in transport"
    TITLE_LATE = "title_late", "Title not issued within the promised time"


# Claims about the vehicle itself: within the claim window after delivery, with photos.
VEHICLE_CATEGORIES = (
    ClaimCategory.DAMAGE,
    ClaimCategory.MECHANICAL,
    ClaimCategory.ODOMETER,
    ClaimCategory.TITLE_BRAND,
    ClaimCategory.KEYS,
    ClaimCategory.NOT_AS_DESCRIBED,
    ClaimCategory.TRANSPORT_DAMAGE,
)


class ClaimStatus(models.TextChoices):
    AWAITING_SELLER = "awaiting_seller", "Waiting for the seller's answer"
    IN_REVIEW = "in_review", "With our staff for a decision"
    SETTLING = "settling", "Decided; refund in progress"
    RETURNING = "returning", "Refunded; the vehicle goes back to the seller"
    DECIDED = "decided", "Decided"


OPEN_CLAIM_STATUSES = (ClaimStatus.AWAITING_SELLER, ClaimStatus.IN_REVIEW, ClaimStatus.SETTLING, ClaimStatus.RETURNING)
# Decided (the outcome stands), whether or not a return still runs.
RULED_CLAIM_STATUSES = (ClaimStatus.RETURNING, ClaimStatus.DECIDED)
DECIDABLE_CLAIM_STATUSES = (ClaimStatus.AWAITING_SELLER, ClaimStatus.IN_REVIEW)


class ClaimOutcome(models.TextChoices):
    NONE = "", "Not decided"
    DENIED = "denied", "Denied"
    PARTIAL_REFUND = "partial_refund", "Partial refund"
    FULL_REFUND_RETURN = "full_refund_return", "Full refund with return of the vehicle"
    SALE_CANCELLED = "sale_cancelled", "Sale cancelled and refunded"


MONEY_OUTCOMES = (ClaimOutcome.PARTIAL_REFUND, ClaimOutcome.FULL_REFUND_RETURN, ClaimOutcome.SALE_CANCELLED)


class ClaimQuerySet(models.QuerySet["Claim"]):
    def open(self) -> "ClaimQuerySet":
        return self.filter(status__in=OPEN_CLAIM_STATUSES)

    def by_deadline(self) -> "ClaimQuerySet":
        return self.order_by(models.F("due_at").asc(nulls_last=True), "pk")


class Claim(models.Model):
    """One claim on an order. `due_at` is the deadline now running: the seller's answer while awaiting the
    seller, staff's decision while in review; none once decided."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="claims")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=20, choices=ClaimCategory.choices)
    description = models.TextField()
    status = models.CharField(max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.AWAITING_SELLER)
    opened_at = models.DateTimeField()
    due_at = models.DateTimeField(null=True, blank=True, help_text="The deadline running now")
    seller_due_at = models.DateTimeField(help_text="The seller answers within 2 business days")
    seller_answered_at = models.DateTimeField(null=True, blank=True)
    decision_due_at = models.DateTimeField(null=True, blank=True, help_text="Staff decide within 2 business days")

    outcome = models.CharField(max_length=20, choices=ClaimOutcome.choices, default=ClaimOutcome.NONE, blank=True)
    decision_reason = models.TextField(blank=True, help_text="Both parties read it")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    charge_seller = models.BooleanField(default=True, help_text="A partial refund comes off the seller's proceeds")
    decision_attempt = models.PositiveSmallIntegerField(default=0)
    refund_plan = models.JSONField(default=list, blank=True, help_text="[{charge, amount, key}] of this attempt")
    settling_since = models.DateTimeField(null=True, blank=True)
    refund_requested = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    refunded = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)

    # The return of the vehicle after a full refund with return (claim_returns.py): the buyer brings it back (or
    # hands it to a carrier) by return_due_at and says so; the seller confirms receipt by receipt_due_at (or staff
    # mark it returned); then the claim is DECIDED.
    return_due_at = models.DateTimeField(null=True, blank=True, help_text="The buyer returns the vehicle by")
    return_sent_at = models.DateTimeField(null=True, blank=True, help_text="The buyer says it is on its way back")
    return_note = models.TextField(blank=True, help_text="How the buyer returned it (carrier, drop-off)")
    receipt_due_at = models.DateTimeField(null=True, blank=True, help_text="The seller confirms receipt by")
    returned_at = models.DateTimeField(null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    return_late_at = models.DateTimeField(null=True, blank=True, help_text="When staff were told the return is late")

    listing_snapshot = models.JSONField(default=dict, blank=True, help_text="The condition report as listed")
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[ClaimQuerySet] = ClaimQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="claim_queue"),
            models.Index(fields=["opened_at", "seller", "status", "outcome", "refunded"], name="claim_report_cover"),
            models.Index(fields=["seller", "opened_at"], name="claim_seller"),
        ]

    def __str__(self) -> str:
        return f"Claim #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CLAIM_STATUSES

    @property
    def number(self) -> str:
        return f"#{self.pk}"

    @property
    def return_step(self) -> str:
        """Where the vehicle's return stands: "" (no return), "buyer" (the buyer returns it), "seller" (the
        seller confirms receipt) or "returned"."""
        if self.returned_at is not None:
            return "returned"
        if self.status != ClaimStatus.RETURNING:
            return ""
        return "seller" if self.return_sent_at is not None else "buyer"


class ClaimEvent(models.Model):
    """Append-only: every step of a claim (opened, messages and answers, deadlines, decision, refund)."""

    class Role(models.TextChoices):
        BUYER = "buyer", "Buyer"
        SELLER = "seller", "Seller"
        STAFF = "staff", "Staff"
        SYSTEM = "system", "Scheduled task"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30)
    role = models.CharField(max_length=10, choices=Role.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    message = models.TextField(blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Claim {self.claim_id}: {self.kind}"

    @property
    def label(self) -> str:
        return EVENT_LABELS.get(self.kind, self.kind.replace("_", " "))


EVENT_LABELS = {
    "opened": "opened the claim",
    "seller_answered": "answered",
    "message": "wrote",
    "seller_late": "the seller's time to answer ran out",
    "decision_started": "decided; refunding",
    "refund_failed": "the refund failed",
    "refund_unknown": "the refund's outcome is unknown",
    "decided": "decided",
    "return_sent": "sent the vehicle back",
    "returned": "confirmed the vehicle is back with the seller",
    "return_late": "the return is late",
}


class ClaimPhoto(models.Model):
    """A photo or document attached to a claim message; private to the buyer, the seller and staff (kept in
    the vehicles app's private document storage, verified like title documents)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="photos")
    event = models.ForeignKey(ClaimEvent, on_delete=models.CASCADE, related_name="photos")
    storage_name = models.CharField(max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

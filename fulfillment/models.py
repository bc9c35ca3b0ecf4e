"""After the sale (FULFILLMENT.md): the title track and the vehicle track of a paid order, storage, and the
seller's proceeds. Only `fulfillment.services` writes these rows; every status change writes a
`FulfillmentEvent` in the same transaction."""

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.money import ZERO


class TitleStatus(models.TextChoices):
    AWAITING_DOCUMENTS = "awaiting_documents", "Waiting for the seller's title documents"
    DOCUMENTS_REVIEW = "documents_review", "Documents in review"
    DOCUMENTS_REJECTED = "documents_rejected", "Documents need changes"
    FILED = "filed", "Filed with the title service"
    FILING_REJECTED = "filing_rejected", "Filing rejected"
    TITLE_ISSUED = "title_issued", "New title issued"
    DELIVERED_TO_BUYER = "delivered_to_buyer", "Title delivered to the buyer"


class VehicleStatus(models.TextChoices):
    AWAITING_CHOICE = "awaiting_choice", "Buyer to choose pickup or transport"
    AWAITING_PICKUP = "awaiting_pickup", "Waiting for pickup"
    QUOTED = "quoted", "Transport quoted"
    BOOKED = "booked", "Transport booked"
    CARRIER_ASSIGNED = "carrier_assigned", "Carrier assigned"
    PICKED_UP = "picked_up", "Picked up"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "Transport cancelled"


class DeliveryMethod(models.TextChoices):
    PICKUP = "pickup", "Pickup"
    TRANSPORT = "transport", "Transport"


# How far along the carrier is: a report never moves a track to a lower rank (an older status arriving late).
TRANSPORT_RANK: dict[str, int] = {
    VehicleStatus.BOOKED: 1,
    VehicleStatus.CARRIER_ASSIGNED: 2,
    VehicleStatus.PICKED_UP: 3,
    VehicleStatus.DELIVERED: 4,
}
TITLE_TRACK_ENDED = (TitleStatus.DELIVERED_TO_BUYER,)
# The vehicle track has ended (the buyer has the car) at these, depending on the method.
VEHICLE_TRACK_ENDED = {
    DeliveryMethod.PICKUP: VehicleStatus.PICKED_UP,
    DeliveryMethod.TRANSPORT: VehicleStatus.DELIVERED,
}


class FulfillmentQuerySet(models.QuerySet["Fulfillment"]):
    def open(self) -> "FulfillmentQuerySet":
        return self.filter(completed_at__isnull=True)

    def awaiting_documents(self) -> "FulfillmentQuerySet":
        return self.filter(title_status__in=[TitleStatus.AWAITING_DOCUMENTS, TitleStatus.DOCUMENTS_REJECTED])

    def storing(self) -> "FulfillmentQuerySet":
        """The vehicle still stands at the seller's with no transport booked: storage may accrue."""
        return self.open().filter(
            vehicle_status__in=[VehicleStatus.AWAITING_CHOICE, VehicleStatus.AWAITING_PICKUP, VehicleStatus.QUOTED]
        )


class Fulfillment(models.Model):
    """One per paid order: both tracks, the pickup code and the storage clock."""

    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="fulfillment")
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The order's seller, kept here so reports by seller read one index",
    )  # fmt: skip

    # title track
    title_status = models.CharField(max_length=24, choices=TitleStatus.choices, default=TitleStatus.AWAITING_DOCUMENTS)
    documents_due_at = models.DateTimeField(help_text="3 business days after payment")
    documents_reminders_sent = models.PositiveSmallIntegerField(default=0)
    documents_late_at = models.DateTimeField(null=True, blank=True, help_text="When staff were alerted")
    documents_approved_at = models.DateTimeField(null=True, blank=True)
    title_promised_by = models.DateTimeField(help_text="Title issued within 15 business days of payment")
    title_transfer_id = models.CharField(max_length=64, blank=True, db_index=True)
    title_transfer_status = models.CharField(max_length=32, blank=True, help_text="As the title service reports it")
    title_filing_attempt = models.PositiveSmallIntegerField(default=0)
    title_filing_error = models.TextField(blank=True)
    title_rejection_reason = models.TextField(blank=True)
    title_number = models.CharField(max_length=40, blank=True)
    title_issued_at = models.DateTimeField(null=True, blank=True)
    title_delivered_at = models.DateTimeField(null=True, blank=True)

    # vehicle track
    delivery_method = models.CharField(max_length=10, choices=DeliveryMethod.choices, blank=True)
    vehicle_status = models.CharField(
        max_length=20, choices=VehicleStatus.choices, default=VehicleStatus.AWAITING_CHOICE
    )
    released_at = models.DateTimeField(null=True, blank=True, help_text="The seller released the vehicle")
    pickup_code = models.CharField(max_length=12)
    pickup_code_failures = models.PositiveSmallIntegerField(default=0)
    pickup_locked_at = models.DateTimeField(null=True, blank=True)
    picked_up_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True, help_text="The vehicle track ended")

    # storage
    free_storage_until = models.DateTimeField()
    pickup_reminded_at = models.DateTimeField(null=True, blank=True, help_text="The buyer was told free pickup ends")
    storage_stopped_at = models.DateTimeField(
        null=True, blank=True, help_text="Storage stops when the vehicle is picked up or transport is paid"
    )
    storage_recorded_through = models.DateField(null=True, blank=True, help_text="Last storage day decided")

    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[FulfillmentQuerySet] = FulfillmentQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        indexes = [
            models.Index(fields=["title_status", "documents_due_at"], name="fulfil_title_due"),
            models.Index(fields=["vehicle_status"], name="fulfil_vehicle_status"),
            # Reports (backoffice): title turnaround and delivery times read these indexes alone.
            models.Index(
                fields=["title_issued_at", "started_at", "title_promised_by", "seller"], name="fulfil_title_report"
            ),
            models.Index(
                fields=["delivered_at", "started_at", "delivery_method", "seller"], name="fulfil_delivery_report"
            ),
            # By seller the planner walks the seller's index; these cover that walk (no row reads).
            models.Index(
                fields=["seller", "title_issued_at", "started_at", "title_promised_by"], name="fulfil_title_seller"
            ),
            models.Index(
                fields=["seller", "delivered_at", "started_at", "delivery_method"], name="fulfil_delivery_seller"
            ),
        ]

    def __str__(self) -> str:
        return f"Fulfillment of order {self.order_id}"

    @property
    def title_ended(self) -> bool:
        return self.title_status in TITLE_TRACK_ENDED

    @property
    def vehicle_ended(self) -> bool:
        method = self.delivery_method
        return bool(method) and self.vehicle_status == VEHICLE_TRACK_ENDED[DeliveryMethod(method)]

    @property
    def pickup_locked(self) -> bool:
        return self.pickup_locked_at is not None

    def documents_late(self, now: datetime) -> bool:
        return self.title_status in (TitleStatus.AWAITING_DOCUMENTS, TitleStatus.DOCUMENTS_REJECTED) and (
            now > self.documents_due_at
        )


class FulfillmentEvent(models.Model):
    """Append-only timeline of a fulfillment: each track's status changes and what caused them."""

    class Track(models.TextChoices):
        TITLE = "title", "Title"
        VEHICLE = "vehicle", "Vehicle"
        STORAGE = "storage", "Storage"
        PROCEEDS = "proceeds", "Proceeds"
        ORDER = "order", "Order"

    class Source(models.TextChoices):
        BUYER = "buyer", "Buyer"
        SELLER = "seller", "Seller"
        STAFF = "staff", "Staff"
        WEBHOOK = "webhook", "Vendor webhook"
        POLL = "poll", "Vendor poll"
        SYSTEM = "system", "Scheduled task"

    fulfillment = models.ForeignKey(Fulfillment, on_delete=models.CASCADE, related_name="events")
    track = models.CharField(max_length=10, choices=Track.choices)
    kind = models.CharField(max_length=40)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    message = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.SYSTEM)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.fulfillment_id} {self.track} {self.kind}"


class TitleDocument(models.Model):
    """A scan the seller uploads for the title transfer; private to the buyer, the seller and staff. Stored in
    the vehicles app's private document storage (`vehicles.storage.document_storage()`)."""

    class Kind(models.TextChoices):
        TITLE_FRONT = "title_front", "Signed title (front)"
        TITLE_BACK = "title_back", "Signed title (back)"
        ODOMETER = "odometer", "Odometer disclosure"
        REASSIGNMENT = "reassignment", "Dealer reassignment"

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Waiting for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        REPLACED = "replaced", "Replaced by a newer upload"

    fulfillment = models.ForeignKey(Fulfillment, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    storage_name = models.CharField(max_length=300)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size_bytes = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rejection_reason = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display().lower()})"


class TransportBooking(models.Model):
    """One booking with the carrier network (a re-booking after a cancellation is a new row)."""

    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting_payment", "Waiting for the transport payment"
        PAYMENT_FAILED = "payment_failed", "Transport payment failed"
        PAID = "paid", "Paid, booking with the carrier network"
        BOOKED = "booked", "Booked"
        CANCELLED = "cancelled", "Cancelled"

    fulfillment = models.ForeignKey(Fulfillment, on_delete=models.CASCADE, related_name="bookings")
    attempt = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.AWAITING_PAYMENT)
    price = models.DecimalField(max_digits=12, decimal_places=2)
    quote = models.JSONField(default=dict, help_text="The quote the buyer confirmed (core.transport)")
    transport_type = models.CharField(max_length=10, default="open")
    inoperable = models.BooleanField(default=False)
    payment = models.ForeignKey("orders.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    charged_to_seller = models.BooleanField(default=False, help_text="A re-booking the seller caused")
    delivery_name = models.CharField(max_length=200)
    delivery_phone = models.CharField(max_length=32, blank=True)
    delivery_address = models.CharField(max_length=200)
    delivery_city = models.CharField(max_length=100)
    delivery_state = models.CharField(max_length=2)
    delivery_zip = models.CharField(max_length=10)

    vendor_guid = models.CharField(max_length=64, blank=True, db_index=True)
    vendor_status = models.CharField(max_length=32, blank=True)
    booking_error = models.TextField(blank=True)
    carrier_name = models.CharField(max_length=200, blank=True)
    carrier_phone = models.CharField(max_length=40, blank=True)
    driver_name = models.CharField(max_length=200, blank=True)
    driver_phone = models.CharField(max_length=40, blank=True)
    pickup_eta = models.DateTimeField(null=True, blank=True)
    delivery_eta = models.DateTimeField(null=True, blank=True)
    picked_up_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    proof_signature_name = models.CharField(max_length=200, blank=True)
    proof_photos = models.JSONField(default=list, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    booked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["fulfillment", "attempt"]
        constraints = [
            models.UniqueConstraint(fields=["fulfillment", "attempt"], name="uniq_booking_attempt"),
            models.UniqueConstraint(fields=["fulfillment", "idempotency_key"], name="uniq_booking_idempotency"),
        ]

    def __str__(self) -> str:
        return f"Transport {self.attempt} of {self.fulfillment_id} ({self.status})"

    @property
    def vendor_number(self) -> str:
        """Our reference at the carrier network: the order number and the attempt."""
        return f"{self.fulfillment.order.number}-T{self.attempt}"


class StorageDay(models.Model):
    """One calendar day (Central time) after the free period, decided once: charged to the buyer or waived."""

    class Status(models.TextChoices):
        CHARGED = "charged", "Charged"
        WAIVED = "waived", "Waived"

    class Reason(models.TextChoices):
        NONE = "", "—"
        SELLER_LATE = "seller_late", "The seller was late with the title documents"
        NOT_RELEASED = "not_released", "The vehicle was not released yet"
        STAFF = "staff", "Waived by staff"

    fulfillment = models.ForeignKey(Fulfillment, on_delete=models.CASCADE, related_name="storage_days")
    day = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["fulfillment", "day"]
        constraints = [models.UniqueConstraint(fields=["fulfillment", "day"], name="uniq_storage_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.status} {self.amount}"


class ProceedsStatus(models.TextChoices):
    HELD = "held", "Held until the sale completes"
    RELEASED = "released", "Released, payout due"
    PAID_OUT = "paid_out", "Paid out"


class SellerProceeds(models.Model):
    """What the seller receives for one sale: the sum of its lines, held until completion, then paid out."""

    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="proceeds")
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proceeds")
    status = models.CharField(max_length=10, choices=ProceedsStatus.choices, default=ProceedsStatus.HELD)
    net = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO, help_text="The sum of the lines")
    released_at = models.DateTimeField(null=True, blank=True)
    payout_due_at = models.DateTimeField(null=True, blank=True)
    payout_reminded_at = models.DateTimeField(null=True, blank=True)
    paid_out_at = models.DateTimeField(null=True, blank=True)
    payout_reference = models.CharField(max_length=100, blank=True)
    paid_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "seller proceeds"
        constraints = [
            models.CheckConstraint(
                condition=Q(status="held") | Q(released_at__isnull=False), name="proceeds_released_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status="paid_out") | ~Q(payout_reference=""), name="payout_has_reference"
            ),
        ]

    def __str__(self) -> str:
        return f"Proceeds of order {self.order_id}: {self.net} ({self.status})"


class ProceedsLine(models.Model):
    """One explained amount of the seller's proceeds (positive: the sale; negative: fees and charges)."""

    class Kind(models.TextChoices):
        SALE = "sale", "Sale price"
        SELLER_FEE = "seller_fee", "Seller fee"
        STORAGE = "storage", "Storage you caused"
        TRANSPORT = "transport", "Transport you caused"
        ADJUSTMENT = "adjustment", "Adjustment"

    proceeds = models.ForeignKey(SellerProceeds, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    label = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["proceeds", "pk"]

    def __str__(self) -> str:
        return f"{self.label}: {self.amount}"


class BillOfSale(models.Model):
    """The bill of sale PDF of an order (rendered once when paid; again if its facts change)."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="bills_of_sale")
    file = models.FileField(upload_to="bills-of-sale/%Y/%m/")
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["order", "fingerprint"], name="uniq_bill_of_sale_version")]

    def __str__(self) -> str:
        return f"Bill of sale {self.order_id}"


class VendorWebhookSubscription(models.Model):
    """A webhook subscription at a vendor (Super Dispatch: one per action, each with its verification token)."""

    vendor = models.CharField(max_length=40)
    action = models.CharField(max_length=60)
    callback_url = models.URLField(max_length=300)
    verification_token = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vendor", "action"], name="uniq_vendor_webhook_action")]

    def __str__(self) -> str:
        return f"{self.vendor} {self.action}"


class SandboxRecord(models.Model):
    """State of the built-in vendor sandboxes (`make run`): in the database because the web server, the worker
    and beat are separate processes with no shared cache there."""

    vendor = models.CharField(max_length=40)
    external_id = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=120, null=True, blank=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vendor", "external_id"], name="uniq_sandbox_record"),
            models.UniqueConstraint(fields=["vendor", "idempotency_key"], name="uniq_sandbox_idempotency"),
        ]

    def __str__(self) -> str:
        return f"{self.vendor}:{self.external_id}"


def proceeds_total(lines: Any) -> Decimal:
    return sum((line.amount for line in lines), ZERO)


from fulfillment.models_claims import (  # noqa: E402
    Claim,
    ClaimCategory,
    ClaimEvent,
    ClaimOutcome,
    ClaimPhoto,
    ClaimStatus,
)

__all__ = ["Claim", "ClaimCategory", "ClaimEvent", "ClaimOutcome", "ClaimPhoto", "ClaimStatus"]

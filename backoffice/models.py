"""The console's own rows: fraud flags with their evidence, device sightings, staff notes.

Audit entries are django-auditlog's LogEntry rows (see core/audit.py and docs/backoffice.md)."""

from typing import ClassVar

from django.conf import settings
from django.db import models


class FraudFlagQuerySet(models.QuerySet["FraudFlag"]):
    def open(self) -> "FraudFlagQuerySet":
        return self.filter(reviewed_at__isnull=True)

    def about(self, user_id: int) -> "FraudFlagQuerySet":
        return self.filter(models.Q(bidder_id=user_id) | models.Q(seller_id=user_id))


class FraudFlag(models.Model):
    """A suspicion raised when a bid was accepted: the bidder shares something with the seller, or keeps
    bidding up one seller's vehicles without ever winning. Flags never block anyone; staff review them.
    One flag per (auction, bidder, kind): the first bid that trips it, with the evidence at that moment."""

    class Kind(models.TextChoices):
        SHARED_IP = "shared_ip", "Shares an IP address with the seller"
        SHARED_DEVICE = "shared_device", "Shares a device with the seller"
        SHARED_CARD = "shared_card", "Shares a card with the seller"
        BID_UP = "bid_up", "Repeatedly bids up this seller without winning"

    class Verdict(models.TextChoices):
        NONE = "", "Not reviewed"
        DISMISSED = "dismissed", "Dismissed (no fraud)"
        CONFIRMED = "confirmed", "Confirmed (action taken)"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    auction = models.ForeignKey("auctions.Auction", on_delete=models.CASCADE, related_name="+")
    bid = models.ForeignKey("auctions.Bid", on_delete=models.CASCADE, related_name="+")
    bidder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    evidence = models.JSONField(default=dict)
    summary = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    verdict = models.CharField(max_length=10, choices=Verdict.choices, default=Verdict.NONE, blank=True)
    review_note = models.TextField(blank=True)

    objects: ClassVar[FraudFlagQuerySet] = FraudFlagQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["auction", "bidder", "kind"], name="fraud_flag_once_per_auction"),
        ]
        indexes = [
            models.Index(fields=["bidder", "created_at"], name="fraud_flag_bidder"),
            models.Index(fields=["seller", "created_at"], name="fraud_flag_seller"),
            models.Index(fields=["reviewed_at", "created_at"], name="fraud_flag_open"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (auction {self.auction_id}, bidder {self.bidder_id})"


class FraudScanCursor(models.Model):
    """How far the fraud scan has read the bids table (one row, locked by the scan)."""

    name = models.CharField(max_length=30, unique=True)
    last_bid_id = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_bid_id}"


class DeviceSighting(models.Model):
    """A logged-in user seen from a browser (its long-lived random device-id cookie) at an IP address."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    device_id = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_seen_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "device_id", "ip_address"], name="device_sighting_once"),
        ]
        indexes = [
            models.Index(fields=["device_id"], name="device_sighting_device"),
            models.Index(fields=["ip_address"], name="device_sighting_ip"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.device_id[:8]}… from {self.ip_address}"


class StaffNote(models.Model):
    """A note staff keep about a person (append-only: a correction is a new note)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "created_at"], name="staff_note_user")]

    def __str__(self) -> str:
        return f"Note on {self.user_id} by {self.author_id}"

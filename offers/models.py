"""Offer threads, their amounts and events, and the seller's per-vehicle offer rules.

Only `offers.services` changes these rows. A thread is one negotiation between one buyer and the seller of
one vehicle; its amounts alternate sides; the latest amount decides whose turn it is and when the thread
expires (copied onto the thread row, so lists and the expiry sweep read one table).
"""

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Side(models.TextChoices):
    BUYER = "buyer", "Buyer"
    SELLER = "seller", "Seller"


def other_side(side: str) -> str:
    return Side.SELLER if side == Side.BUYER else Side.BUYER


class OfferThreadQuerySet(models.QuerySet["OfferThread"]):
    def open(self) -> "OfferThreadQuerySet":
        return self.filter(status=OfferThread.Status.OPEN)

    def ended(self) -> "OfferThreadQuerySet":
        return self.exclude(status=OfferThread.Status.OPEN)

    def for_vehicle(self, vehicle_id: int) -> "OfferThreadQuerySet":
        return self.filter(vehicle_id=vehicle_id)

    def for_buyer(self, user: Any) -> "OfferThreadQuerySet":
        return self.filter(buyer=user)

    def for_seller(self, user: Any) -> "OfferThreadQuerySet":
        return self.filter(seller=user)

    def waiting_for(self, side: str) -> "OfferThreadQuerySet":
        """Open threads where `side` is to act."""
        return self.open().filter(turn=side)

    def due_to_expire(self, now: datetime) -> "OfferThreadQuerySet":
        return self.open().filter(expires_at__lte=now)

    def accepted(self) -> "OfferThreadQuerySet":
        return self.filter(status=OfferThread.Status.ACCEPTED)


class OfferThread(models.Model):
    """One buyer's negotiation with the seller over one vehicle (OFFERS.md "Threads, turns and expiry")."""

    class Kind(models.TextChoices):
        OFFER = "offer", "Offer"
        RESERVE_COUNTER = "reserve_counter", "Seller's counter to the high bid"
        BEST_OFFER = "best_offer", "High bidder's best offer"
        SECOND_CHANCE = "second_chance", "Second-chance offer"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"
        AUCTION_STARTED = "auction_started", "Ended: the auction started"
        SOLD_TO_ANOTHER = "sold_to_another", "Ended: sold to another buyer"

    vehicle = models.ForeignKey("vehicles.Vehicle", on_delete=models.PROTECT, related_name="offer_threads")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offer_threads")
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offer_threads_selling")
    auction = models.ForeignKey(
        "auctions.Auction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The auction a reserve counter, best offer or second chance follows",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.OFFER)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    buyer_number = models.PositiveIntegerField(help_text="The buyer's alias on this vehicle: 'Buyer N'")

    # The latest amount, copied from its OfferAmount row: who is to act, on what, by when.
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    turn = models.CharField(max_length=10, choices=Side.choices, blank=True, help_text="Blank once the thread ended")
    expires_at = models.DateTimeField()
    buyer_counters = models.PositiveSmallIntegerField(default=0)
    seller_counters = models.PositiveSmallIntegerField(default=0)
    max_counters = models.PositiveSmallIntegerField(default=3, help_text="Counters each side may make")

    accepted_amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    end_reason = models.TextField(blank=True)
    # Unique while open, NULL once ended: one open thread per buyer per vehicle, enforced by the database as
    # well as under the vehicle lock (MariaDB ignores conditional unique constraints; NULLs never collide).
    open_key = models.CharField(max_length=40, null=True, blank=True, unique=True)
    version = models.PositiveIntegerField(default=1, help_text="Grows with every change; pages refetch on it")

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[OfferThreadQuerySet] = OfferThreadQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="offer_status_expires"),
            models.Index(fields=["vehicle", "status"], name="offer_vehicle_status"),
            models.Index(fields=["buyer", "status"], name="offer_buyer_status"),
            models.Index(fields=["seller", "status"], name="offer_seller_status"),
            models.Index(fields=["auction", "kind"], name="offer_auction_kind"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="offer_amount_positive"),
            models.CheckConstraint(condition=~Q(buyer=F("seller")), name="offer_not_own_vehicle"),
        ]

    def __str__(self) -> str:
        return f"Offer thread {self.pk} ({self.get_status_display()})"

    @staticmethod
    def open_key_for(vehicle_id: int, buyer_id: int) -> str:
        return f"{vehicle_id}:{buyer_id}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def buyer_alias(self) -> str:
        return f"Buyer {self.buyer_number}"

    def counters_made(self, side: str) -> int:
        return self.buyer_counters if side == Side.BUYER else self.seller_counters

    def side_of(self, user: Any) -> str | None:
        """Which side `user` is on in this thread, or None (staff act as neither)."""
        user_id = getattr(user, "pk", None)
        if user_id == self.buyer_id:
            return Side.BUYER
        if user_id == self.seller_id:
            return Side.SELLER
        return None


class OfferAmount(models.Model):
    """One amount of a thread: the opening offer or a counter, with its author, time and expiry."""

    thread = models.ForeignKey(OfferThread, on_delete=models.CASCADE, related_name="amounts")
    seq = models.PositiveSmallIntegerField(help_text="1 for the opening amount, then one per counter")
    side = models.CharField(max_length=10, choices=Side.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(help_text="Database clock, under the vehicle's lock")
    expires_at = models.DateTimeField()
    first_shown_at = models.DateTimeField(
        null=True, blank=True, help_text="When the other side first opened the thread page with it"
    )
    reminded_at = models.DateTimeField(null=True, blank=True, help_text="When the 12-hour reminder went out")

    class Meta:
        ordering = ["thread_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["thread", "seq"], name="uniq_offer_amount_seq"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="offer_amount_row_positive"),
        ]
        indexes = [models.Index(fields=["reminded_at", "expires_at"], name="offer_amount_reminder")]

    def __str__(self) -> str:
        return f"{self.get_side_display()} ${self.amount} (thread {self.thread_id})"


class OfferEvent(models.Model):
    """Append-only history of a thread: every amount, answer and ending, who did it and when."""

    class Kind(models.TextChoices):
        MADE = "made", "Offer made"
        COUNTERED = "countered", "Countered"
        SHOWN = "shown", "Seen by the other side"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"
        WITHDRAWN = "withdrawn", "Withdrawn"
        AUCTION_STARTED = "auction_started", "Ended: the auction started"
        SOLD_TO_ANOTHER = "sold_to_another", "Ended: sold to another buyer"
        REMINDED = "reminded", "Reminder sent"

    thread = models.ForeignKey(OfferThread, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    side = models.CharField(max_length=10, choices=Side.choices, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["thread", "kind"], name="offerevent_kind")]

    def __str__(self) -> str:
        return f"{self.thread_id}: {self.kind}"


class OfferRules(models.Model):
    """The seller's automatic answers for one vehicle, never shown to buyers (OFFERS.md "Amounts")."""

    vehicle = models.OneToOneField(
        "vehicles.Vehicle", on_delete=models.CASCADE, primary_key=True, related_name="offer_rules"
    )
    auto_decline_below = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="Offers below this are declined at once"
    )
    auto_accept_at = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, help_text="Offers at or above this are accepted"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "offer rules"
        verbose_name_plural = "offer rules"
        constraints = [
            models.CheckConstraint(
                condition=Q(auto_decline_below__isnull=True)
                | Q(auto_accept_at__isnull=True)
                | Q(auto_decline_below__lt=F("auto_accept_at")),
                name="offer_rules_floor_below_accept",
            ),
        ]

    def __str__(self) -> str:
        return f"Offer rules for vehicle {self.vehicle_id}"

    def decides(self, amount: Decimal) -> str | None:
        """ "accept", "decline" or None (the seller answers) for a buyer's amount."""
        if self.auto_accept_at is not None and amount >= self.auto_accept_at:
            return "accept"
        if self.auto_decline_below is not None and amount < self.auto_decline_below:
            return "decline"
        return None

"""Auctions, their bids, events and comments. Only `auctions.services` changes these rows."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from auctions import engine


class AuctionQuerySet(models.QuerySet["Auction"]):
    def live(self) -> "AuctionQuerySet":
        return self.filter(status=Auction.Status.LIVE)

    def open(self) -> "AuctionQuerySet":
        """Scheduled or live: the vehicle is on the block."""
        return self.filter(status__in=[Auction.Status.SCHEDULED, Auction.Status.LIVE])

    def ending_soonest(self) -> "AuctionQuerySet":
        return self.order_by("ends_at", "pk")

    def ending_before(self, moment: datetime) -> "AuctionQuerySet":
        return self.filter(ends_at__lte=moment)

    def due_to_close(self, now: datetime) -> "AuctionQuerySet":
        """Live (or never started) auctions whose end has passed, including any that came due while nothing ran."""
        return self.filter(status__in=[Auction.Status.LIVE, Auction.Status.SCHEDULED], ends_at__lte=now)

    def due_to_start(self, now: datetime) -> "AuctionQuerySet":
        return self.filter(status=Auction.Status.SCHEDULED, starts_at__lte=now)

    def won(self) -> "AuctionQuerySet":
        """Closed with a buyer (at close, by the seller's acceptance, or by buy now): orders picks these up."""
        return self.filter(status=Auction.Status.ENDED, outcome=Auction.Outcome.SOLD, winner__isnull=False)

    def awaiting_seller_decision(self) -> "AuctionQuerySet":
        return self.filter(status=Auction.Status.ENDED, outcome=Auction.Outcome.RESERVE_NOT_MET)

    def active_for_vehicle(self, vehicle_id: int) -> "AuctionQuerySet":
        return self.filter(vehicle_id=vehicle_id).filter(
            Q(status__in=[Auction.Status.SCHEDULED, Auction.Status.LIVE])
            | Q(status=Auction.Status.ENDED, outcome=Auction.Outcome.RESERVE_NOT_MET)
        )


class Auction(models.Model):
    """A timed auction of one vehicle. The resolved bidding state lives on this row, so a bid
    needs only this row (locked) to be decided; `Bid` rows are the full, replayable history."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        LIVE = "live", "Live"
        ENDED = "ended", "Ended"
        CANCELLED = "cancelled", "Cancelled"

    class Outcome(models.TextChoices):
        NONE = "", "—"
        SOLD = "sold", "Sold"
        RESERVE_NOT_MET = "reserve_not_met", "Reserve not met — seller deciding"
        UNSOLD = "unsold", "Unsold"

    class Decision(models.TextChoices):
        NONE = "", "—"
        ACCEPTED = "accepted", "Accepted the high bid"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "No decision in time"
        # Settled through the offers channel (OFFERS.md "After an auction without a sale"): the auction ends
        # unsold and a sale, if one follows, is the offer's (orders source "offer").
        COUNTERED = "countered", "Countered the high bid"
        BEST_OFFER = "best_offer", "Accepted the high bidder's best offer"

    vehicle = models.ForeignKey("vehicles.Vehicle", on_delete=models.PROTECT, related_name="auctions")
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="auctions_selling")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.NONE, blank=True)
    seller_decision = models.CharField(max_length=12, choices=Decision.choices, default=Decision.NONE, blank=True)

    starting_price = models.DecimalField(max_digits=12, decimal_places=2)
    reserve_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    buy_now_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    scheduled_ends_at = models.DateTimeField(help_text="The end the seller set, before any soft-close extension")
    soft_close_window_seconds = models.PositiveIntegerField(default=120)
    soft_close_extension_seconds = models.PositiveIntegerField(default=120)
    extended_count = models.PositiveIntegerField(default=0)

    # Resolved state (engine.AuctionState), changed only under this row's lock.
    current_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    leader_max = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    leader_seq = models.PositiveIntegerField(default=0)
    leader_number = models.PositiveIntegerField(default=0, help_text="The leader's public alias number")
    runner_up_max = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    bid_count = models.PositiveIntegerField(default=0)
    bidder_count = models.PositiveIntegerField(default=0)
    last_seq = models.PositiveIntegerField(default=0, help_text="Sequence number of the last bid")
    version = models.PositiveIntegerField(default=0, help_text="Grows with every change of visible state")
    reserve_met = models.BooleanField(default=False)

    winner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="auctions_won"
    )
    final_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    sold_via_buy_now = models.BooleanField(default=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    sold_at = models.DateTimeField(null=True, blank=True)
    decision_deadline = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[AuctionQuerySet] = AuctionQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["ends_at", "pk"]
        indexes = [
            models.Index(fields=["status", "ends_at"], name="auction_status_ends"),
            models.Index(fields=["status", "starts_at"], name="auction_status_starts"),
            models.Index(fields=["status", "outcome", "decision_deadline"], name="auction_decision_due"),
            models.Index(fields=["winner", "status"], name="auction_winner"),
            # Reports of ended auctions (backoffice): the columns they read, so they scan this index alone.
            models.Index(
                fields=["status", "closed_at", "seller", "outcome", "seller_decision"], name="auction_report_cover"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="auction_ends_after_start"),
            models.CheckConstraint(
                condition=Q(reserve_price__isnull=True) | Q(reserve_price__gte=models.F("starting_price")),
                name="auction_reserve_not_below_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Auction {self.pk} ({self.get_status_display()})"

    # --- engine bridge -------------------------------------------------------------
    def terms(self, increments: engine.IncrementTable = engine.DEFAULT_INCREMENTS) -> engine.Terms:
        return engine.Terms(
            starting_price=self.starting_price,
            reserve_price=self.reserve_price,
            buy_now_price=self.buy_now_price,
            increments=increments,
            soft_close_window=timedelta(seconds=self.soft_close_window_seconds),
            soft_close_extension=timedelta(seconds=self.soft_close_extension_seconds),
        )

    def state(self) -> engine.AuctionState:
        return engine.AuctionState(
            current_price=self.current_price,
            leader_id=self.leader_id,
            leader_max=self.leader_max,
            leader_seq=self.leader_seq,
            runner_up_max=self.runner_up_max,
            bid_count=self.bid_count,
            last_seq=self.last_seq,
        )

    def set_state(self, state: engine.AuctionState, terms: engine.Terms) -> None:
        """The engine's state onto this row, with whether the reserve is met: the inverse of `state()`,
        except `last_seq`, which only the bid that takes a number moves (a void never gives one back)."""
        self.current_price = state.current_price
        self.leader_id = state.leader_id
        self.leader_max = state.leader_max
        self.leader_seq = state.leader_seq
        self.runner_up_max = state.runner_up_max
        self.bid_count = state.bid_count
        self.reserve_met = engine.reserve_status(terms, state) is engine.ReserveStatus.MET

    # --- guards -----------------------------------------------------------------------
    def accepts_bids(self, now: datetime) -> bool:
        return self.status in (self.Status.LIVE, self.Status.SCHEDULED) and self.starts_at <= now < self.ends_at

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.SCHEDULED, self.Status.LIVE)

    @property
    def terms_editable(self) -> bool:
        """Prices and times may change until the first bid, while the auction is scheduled or live."""
        return self.is_open and self.bid_count == 0 and self.last_seq == 0

    @property
    def awaiting_decision(self) -> bool:
        return self.status == self.Status.ENDED and self.outcome == self.Outcome.RESERVE_NOT_MET

    @property
    def display_price(self) -> Decimal:
        if self.final_price is not None:  # sold: at auction, by decision or bought now
            return self.final_price
        return self.current_price if self.current_price is not None else self.starting_price

    CONFIRM_ABOVE_MULTIPLE = 3  # a max above this many times the price asks the bidder to confirm it

    @property
    def confirmation_threshold(self) -> Decimal:
        """The highest max the site takes without asking the bidder to confirm it (the UI rule; the API and
        the live room do not ask: their clients decide)."""
        return self.display_price * self.CONFIRM_ABOVE_MULTIPLE

    def needs_confirmation(self, max_amount: Decimal) -> bool:
        """Whether the site asks the bidder to confirm this max (more than three times the current price)."""
        return max_amount > self.confirmation_threshold


class IncrementTier(models.Model):
    """One row of the increment table (BIDDING.md "Increments"); staff edit it in the admin."""

    from_price = models.DecimalField(
        max_digits=12, decimal_places=2, unique=True, help_text="Applies when the current price is at least this"
    )
    increment = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["from_price"]
        constraints = [models.CheckConstraint(condition=Q(increment__gt=0), name="increment_positive")]

    def __str__(self) -> str:
        return f"from ${self.from_price:,.2f}: ${self.increment:,.2f}"


class AuctionRules(models.Model):
    """Marketplace-wide auction rules staff edit in the admin (one row; without it, the defaults)."""

    DEFAULT_MIN_DURATION_MINUTES = 60

    min_duration_minutes = models.PositiveIntegerField(
        "minimum auction duration (minutes)",
        default=DEFAULT_MIN_DURATION_MINUTES,
        help_text="The shortest auction a seller can schedule, from its start (or now) to its end.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "auction rules"
        verbose_name_plural = "auction rules"
        constraints = [models.CheckConstraint(condition=Q(min_duration_minutes__gte=1), name="min_duration_positive")]

    def __str__(self) -> str:
        return f"Auctions run at least {self.min_duration_minutes} minutes"

    @classmethod
    def current_min_duration_minutes(cls) -> int:
        row = cls.objects.order_by("pk").values_list("min_duration_minutes", flat=True).first()
        return int(row) if row is not None else cls.DEFAULT_MIN_DURATION_MINUTES


class Bid(models.Model):
    """An accepted max bid. Never deleted; staff may void one (with a reason) before close."""

    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, related_name="bids")
    seq = models.PositiveIntegerField(help_text="Per-auction sequence number, gapless")
    bidder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bids")
    bidder_number = models.PositiveIntegerField(help_text="Public alias: 'Bidder N' in this auction")
    max_amount = models.DecimalField(max_digits=12, decimal_places=2)
    resulting_price = models.DecimalField(max_digits=12, decimal_places=2)
    leading_after = models.BooleanField(help_text="Whether this bidder led right after the bid")
    placed_at = models.DateTimeField(help_text="Database clock, under the auction's lock")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    void_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["auction_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["auction", "seq"], name="uniq_bid_auction_seq")]
        indexes = [
            models.Index(fields=["auction", "bidder"], name="bid_auction_bidder"),
            models.Index(fields=["bidder", "placed_at"], name="bid_bidder_placed"),
        ]

    def __str__(self) -> str:
        return f"Bid {self.seq} on auction {self.auction_id}: max ${self.max_amount}"

    @property
    def alias(self) -> str:
        return f"Bidder {self.bidder_number}"

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class AuctionEvent(models.Model):
    """Append-only history of an auction: every state change, who made it and when."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        UPDATED = "updated", "Updated"
        STARTED = "started", "Started"
        BID_ACCEPTED = "bid_accepted", "Bid accepted"
        EXTENDED = "extended", "Extended (soft close)"
        RESERVE_LOWERED = "reserve_lowered", "Reserve lowered"
        BID_VOIDED = "bid_voided", "Bid voided"
        BUY_NOW = "buy_now", "Bought now"
        CLOSED = "closed", "Closed"
        SELLER_DECISION = "seller_decision", "Seller decision"
        CANCELLED = "cancelled", "Cancelled"

    auction = models.ForeignKey(Auction, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    seq = models.PositiveIntegerField(default=0, help_text="The auction's bid sequence at the time")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["auction", "kind"], name="auctionevent_kind")]

    def __str__(self) -> str:
        return f"{self.auction_id}: {self.kind}"


class AuctionComment(models.Model):
    """A comment or question on an auction; replies point at their parent; staff may hide one."""

    auction = models.ForeignKey(Auction, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="auction_comments")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies")
    body = models.TextField(max_length=2000)
    is_seller = models.BooleanField(default=False)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["auction", "created_at"], name="comment_auction_created")]

    def __str__(self) -> str:
        return f"Comment {self.pk} on auction {self.auction_id}"


from auctions.models_alerts import AuctionWatchState, WatchAlert  # noqa: E402

__all__ = [
    "Auction",
    "AuctionComment",
    "AuctionEvent",
    "AuctionWatchState",
    "Bid",
    "IncrementTier",
    "WatchAlert",
]

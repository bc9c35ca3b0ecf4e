from decimal import Decimal

from django.conf import settings
from django.db import models


class WebhookDelivery(models.Model):
    """One row per vendor event id: the unique constraint makes webhook handling idempotent."""

    vendor = models.CharField(max_length=40)
    event_id = models.CharField(max_length=128)
    event_type = models.CharField(max_length=100, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    payload = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vendor", "event_id"], name="uniq_webhook_vendor_event")]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.vendor}:{self.event_id}"


class WebhookFailure(models.Model):
    """A vendor delivery we refused (bad signature, malformed) or failed to process: the console's home page
    counts them, since a vendor that keeps being refused means lost updates."""

    vendor = models.CharField(max_length=40)
    reason = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField()
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["received_at"], name="webhook_failure_received")]

    def __str__(self) -> str:
        return f"{self.vendor}: {self.reason} ({self.status_code})"


class FeeSchedule(models.Model):
    """The buyer's fees (BIDDING.md "After the sale"). The newest active row applies; staff edit it."""

    buyer_fee_rate = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0.0500"))
    buyer_fee_min = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("250.00"))
    buyer_fee_max = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("5000.00"))
    documentation_fee = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("99.00"))
    late_fee = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("50.00"))
    # After the sale (FULFILLMENT.md): what the seller pays, and storage for a buyer who leaves the car.
    seller_fee_rate = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0.0250"))
    seller_fee_min = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("100.00"))
    storage_fee_per_day = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("25.00"))
    storage_free_business_days = models.PositiveSmallIntegerField(
        default=5, help_text="Pickup is free for this many business days after payment"
    )
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(buyer_fee_min__lte=models.F("buyer_fee_max")), name="fee_min_le_max"
            ),
        ]

    def __str__(self) -> str:
        return f"Buyer fee {self.buyer_fee_rate:%} (min {self.buyer_fee_min}, max {self.buyer_fee_max})"


class StateFee(models.Model):
    """Title fee and sales tax collected for buyers registering in a state.

    States without a row are not collected at sale: the buyer pays tax when registering at home.
    """

    state = models.CharField(max_length=2, unique=True, help_text="Two-letter US state code")
    name = models.CharField(max_length=60)
    title_fee = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    sales_tax_rate = models.DecimalField(
        max_digits=6, decimal_places=5, default=Decimal("0"), help_text="0.06875 for 6.875%"
    )

    class Meta:
        ordering = ["state"]

    def __str__(self) -> str:
        return f"{self.state}: tax {self.sales_tax_rate * 100}%, title {self.title_fee}"


class IdempotencyKey(models.Model):
    """The first answer to a write sent with an Idempotency-Key, replayed to retries (core/idempotency.py).
    No answer yet (`response_status` null): the first request is still in flight."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100, help_text="As sent, lower-cased (keys compare without case)")
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request's scope and values")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="uniq_core_idempotency_user_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class TransportRateCard(models.Model):
    """Door-to-door transport prices (FULFILLMENT.md "Transport quote before the sale"). The newest active
    card applies; staff edit it in the admin. Its bands (TransportRateBand) price the road miles marginally,
    like tax brackets: each band's rate applies to the miles between its start and the next band's start."""

    name = models.CharField(max_length=60, default="Standard")
    base_price = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("150.00"), help_text="Dispatch and loading, every order"
    )
    minimum_price = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("250.00"), help_text="No quote is below this"
    )
    enclosed_surcharge_rate = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.4000"),
        help_text="Enclosed trailer: this share of base + distance is added (0.4 = 40%)",
    )
    inoperable_surcharge = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("150.00"),
        help_text="A vehicle that does not run needs a winch: added once",
    )
    road_factor = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.20"),
        help_text="Road miles ≈ straight-line miles × this factor",
    )
    miles_per_day = models.PositiveIntegerField(default=450, help_text="A carrier's driving miles per day")
    pickup_days_min = models.PositiveSmallIntegerField(default=1, help_text="Days until pickup, at best")
    pickup_days_max = models.PositiveSmallIntegerField(default=3, help_text="Days until pickup, at worst")
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pickup_days_min__lte=models.F("pickup_days_max")), name="pickup_days_min_le_max"
            ),
            models.CheckConstraint(condition=models.Q(road_factor__gte=1), name="road_factor_at_least_one"),
            models.CheckConstraint(condition=models.Q(miles_per_day__gt=0), name="miles_per_day_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (base {self.base_price}, minimum {self.minimum_price})"


class TransportRateBand(models.Model):
    """One per-mile rate of a rate card, for the road miles from `from_miles` up to the next band's start."""

    card = models.ForeignKey(TransportRateCard, on_delete=models.CASCADE, related_name="bands")
    from_miles = models.PositiveIntegerField(help_text="The band starts at this many road miles (the first at 0)")
    per_mile = models.DecimalField(max_digits=6, decimal_places=2, help_text="Dollars per road mile in this band")

    class Meta:
        ordering = ["card", "from_miles"]
        constraints = [models.UniqueConstraint(fields=["card", "from_miles"], name="uniq_rate_band_start")]

    def __str__(self) -> str:
        return f"from {self.from_miles} mi: ${self.per_mile}/mi"


class BarrierReport(models.Model):
    """An accessibility barrier a visitor reported from the accessibility statement page (/accessibility/);
    staff read and close them in the admin."""

    page_url = models.CharField(max_length=500, blank=True, help_text="The page where the barrier is")
    description = models.TextField(help_text="What happened, in the visitor's words")
    assistive_technology = models.CharField(max_length=200, blank=True, help_text="Screen reader, browser, etc.")
    contact_email = models.EmailField(blank=True)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    staff_notes = models.TextField(blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"Barrier report #{self.pk} ({self.page_url or 'no page given'})"

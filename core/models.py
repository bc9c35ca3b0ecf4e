from decimal import Decimal

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

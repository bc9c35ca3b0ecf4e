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

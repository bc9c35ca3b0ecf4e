"""What the watchlist alerts remember (imported into auctions.models): each alert sent once, and the last
state of each watched auction they compared against."""

from django.conf import settings
from django.db import models


class WatchAlert(models.Model):
    """One alert about one auction to one user. Unique on (user, auction, kind, detail): concurrent scans
    insert with INSERT IGNORE and notify only the rows carrying their own `claim`, so none is sent twice."""

    class Kind(models.TextChoices):
        STARTED = "started", "Auction started"
        ENDING = "ending", "Ends within an hour"
        CHANGED = "changed", "Buy-now price or reserve status changed"
        RELISTED = "relisted", "Relisted"
        LOSING = "losing", "Not leading, 5 minutes left"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    auction = models.ForeignKey("auctions.Auction", on_delete=models.CASCADE, related_name="watch_alerts")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    detail = models.CharField(max_length=60, blank=True, help_text="Distinguishes changes: 'buy_now:9500.00'")
    claim = models.CharField(max_length=32)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["auction", "kind", "detail", "user"], name="watch_alert_once"),
        ]
        indexes = [models.Index(fields=["auction", "claim"], name="watch_alert_claim")]

    def __str__(self) -> str:
        return f"{self.kind} {self.auction_id} -> {self.user_id}"


class AuctionWatchState(models.Model):
    """The state of an auction the watchlist alerts last saw: a change of version means something to compare."""

    auction = models.OneToOneField("auctions.Auction", on_delete=models.CASCADE, related_name="watch_state")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=12)
    buy_now_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    reserve_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    reserve_met = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"watch state of {self.auction_id} at v{self.version}"

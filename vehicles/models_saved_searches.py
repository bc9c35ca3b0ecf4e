"""Saved searches and the alerts they send (imported into vehicles.models)."""

from django.conf import settings
from django.db import models


class SavedSearchQuerySet(models.QuerySet["SavedSearch"]):
    def active(self) -> "SavedSearchQuerySet":
        return self.filter(paused_at__isnull=True)


class SavedSearch(models.Model):
    """An inventory search a user keeps (every filter, the text and the sort, as canonical criteria) and is
    alerted about: at once for each newly published or newly auctioned vehicle that matches, or in a daily
    digest. Matching reads the active searches into an in-memory index (vehicles/saved_search_index.py), which
    `updated_at` keeps current: every change to the criteria or the pause goes through `save()`."""

    class Frequency(models.TextChoices):
        INSTANT = "instant", "Instantly"
        DAILY = "daily", "Daily digest"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=80)
    criteria = models.JSONField(default=dict)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.INSTANT)
    paused_at = models.DateTimeField(null=True, blank=True)
    digest_due_at = models.DateTimeField(null=True, blank=True, help_text="Daily: the next digest may go then")
    last_alert_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedSearchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_search_name_per_user")]
        indexes = [
            models.Index(fields=["frequency", "digest_due_at"], name="saved_search_digest_due"),
            models.Index(fields=["updated_at"], name="saved_search_changed"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.user_id})"

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class SavedSearchMatch(models.Model):
    """A vehicle a saved search matched: at most one row per (search, vehicle), so a vehicle is never
    alerted twice for one search (the unique constraint decides between concurrent matchers; `claim` tells
    each matcher which rows it inserted). `notified_at`: when the instant alert or the digest carried it."""

    search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="matches")
    vehicle = models.ForeignKey("vehicles.Vehicle", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, help_text="published | auction_scheduled")
    claim = models.CharField(max_length=32)
    matched_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-matched_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["search", "vehicle"], name="saved_search_match_once")]
        indexes = [
            models.Index(fields=["vehicle", "claim"], name="saved_search_match_claim"),
            models.Index(fields=["search", "notified_at"], name="saved_search_match_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.search_id} ~ {self.vehicle_id}"

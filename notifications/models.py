"""Notifications know users only through settings.AUTH_USER_MODEL; they import no domain app."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_user(self, user: Any) -> "NotificationQuerySet":
        return self.filter(user=user)

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One in-app notification; `title`/`body` are rendered when created, so later template edits don't rewrite history."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=50)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    context = models.JSONField(default=dict, blank=True)
    object_key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notif_user_read"),
            models.Index(fields=["user", "created_at"], name="notif_user_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotifiedEvent(models.Model):
    """One row per notice sent: a person hears about one event once, whatever the number of callers or retries.

    `key` is `notifications.services.event_key(kind, object_key, event)`, a digest naming the event; the unique
    (user, key) pair is the rule, so two concurrent senders of the same notice cannot both send it.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    kind = models.CharField(max_length=50)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="uniq_notified_event_user_key")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"


class NotificationPreference(models.Model):
    """A user's choice for one kind; absent rows mean the kind's defaults. Locked kinds ignore rows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=50)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="uniq_notification_pref_user_kind")]

    def __str__(self) -> str:
        return f"{self.user_id}/{self.kind}: in_app={self.in_app} email={self.email}"


class UndeliverableEmail(models.Model):
    """An address the ESP reported as bounced, dropped or complained about; notify stops emailing it.

    Keyed by the lower-cased address: a user who changes their email is emailed again at the new one.
    """

    email = models.CharField(max_length=254, unique=True)
    reason = models.CharField(max_length=30)
    detail = models.CharField(max_length=500, blank=True)
    marked_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"


class EmailDeliveryQuerySet(models.QuerySet["EmailDelivery"]):
    def due_for_sweep(self, *, queued_before: Any, claimed_before: Any) -> "EmailDeliveryQuerySet":
        """Rows whose task was lost (broker outage) or whose worker died mid-send."""
        return self.filter(
            models.Q(status=EmailDelivery.Status.QUEUED, send_after__lt=queued_before)
            | models.Q(status=EmailDelivery.Status.SENDING, claimed_at__lt=claimed_before)
        )


class EmailDelivery(models.Model):
    """One email to send (an outbox row). While QUEUED with a `pending_key`, later notifications of the same
    (user, kind, object_key) merge into it (latest context wins), so a burst sends one email.

    `pending_key` is unique and nulled by the claim: at most one collecting row per key exists, whatever the
    number of workers (MariaDB ignores conditional unique constraints; NULLs don't collide).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_deliveries")
    kind = models.CharField(max_length=50)
    object_key = models.CharField(max_length=120, blank=True)
    context = models.JSONField(default=dict, blank=True)
    pending_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    merged_count = models.PositiveIntegerField(default=1, help_text="notifications folded into this email")
    send_after = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    to_email = models.CharField(max_length=254, blank=True)
    esp_message_id = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = EmailDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "send_after"], name="email_delivery_status_due")]
        verbose_name_plural = "email deliveries"

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id} ({self.status})"


class EmailDeliveryEvent(models.Model):
    """Append-only history of an email's status changes."""

    delivery = models.ForeignKey(EmailDelivery, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.delivery_id}: {self.from_status or '-'} → {self.to_status}"

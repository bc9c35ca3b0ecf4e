"""Staff console for notifications: what was sent, what failed, which addresses bounce."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from notifications.delivery import schedule_send
from notifications.models import (
    EmailDelivery,
    EmailDeliveryEvent,
    Notification,
    NotificationPreference,
    UndeliverableEmail,
)
from notifications.services import email_mark_deliverable


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "kind", "title", "created_at", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "title", "object_key"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at"]


class EmailDeliveryEventInline(admin.TabularInline):
    model = EmailDeliveryEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "note", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "kind", "status", "merged_count", "attempts", "to_email", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    search_fields = ["user__email", "to_email", "object_key", "esp_message_id"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    readonly_fields = ["pending_key", "attempts", "claimed_at", "sent_at", "esp_message_id", "last_error", "created_at"]
    inlines = [EmailDeliveryEventInline]
    actions = ["send_again"]

    @admin.action(description="Send queued emails now")
    def send_again(self, request: HttpRequest, queryset: QuerySet[EmailDelivery]) -> None:
        ids = list(queryset.filter(status=EmailDelivery.Status.QUEUED).values_list("pk", flat=True))
        for delivery_id in ids:
            schedule_send(delivery_id)
        self.message_user(request, f"Scheduled {len(ids)} queued email(s).", messages.SUCCESS)


@admin.register(UndeliverableEmail)
class UndeliverableEmailAdmin(admin.ModelAdmin):
    list_display = ["email", "reason", "detail", "marked_at"]
    list_filter = ["reason"]
    search_fields = ["email"]
    actions = ["mark_deliverable"]

    @admin.action(description="Email these addresses again")
    def mark_deliverable(self, request: HttpRequest, queryset: QuerySet[UndeliverableEmail]) -> None:
        count = sum(email_mark_deliverable(email=row.email) for row in queryset)
        self.message_user(request, f"{count} address(es) will be emailed again.", messages.SUCCESS)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "in_app", "email", "updated_at"]
    list_filter = ["kind", "in_app", "email"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]

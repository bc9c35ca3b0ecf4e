from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.models import FeeSchedule, StateFee, WebhookDelivery, WebhookFailure


class _HistoryInline:
    """Rows staff read beside their parent (bids, payments, events, checks) but never add or delete here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HistoryTabularInline(_HistoryInline, admin.TabularInline):  # type: ignore[type-arg]
    pass


class HistoryStackedInline(_HistoryInline, admin.StackedInline):  # type: ignore[type-arg]
    pass


class LogAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """An append-only event log: staff read and search it; nobody adds, edits or deletes a row."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FeeSchedule)
class FeeScheduleAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "buyer_fee_rate",
        "buyer_fee_min",
        "buyer_fee_max",
        "documentation_fee",
        "late_fee",
        "is_active",
        "updated_at",
    ]
    list_filter = ["is_active"]


@admin.register(StateFee)
class StateFeeAdmin(admin.ModelAdmin):
    list_display = ["state", "name", "title_fee", "sales_tax_rate"]
    search_fields = ["state", "name"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["vendor", "event_id", "event_type", "received_at"]
    list_filter = ["vendor", "event_type"]
    search_fields = ["event_id"]
    readonly_fields = ["vendor", "event_id", "event_type", "received_at", "payload"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(WebhookFailure)
class WebhookFailureAdmin(LogAdmin):
    list_display = ["received_at", "vendor", "status_code", "reason", "remote_addr"]
    list_filter = ["vendor", "status_code"]
    search_fields = ["reason", "remote_addr"]
    date_hierarchy = "received_at"

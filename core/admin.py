from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from core.models import (
    FeeSchedule,
    IdempotencyKey,
    StateFee,
    TransportRateBand,
    TransportRateCard,
    WebhookDelivery,
    WebhookFailure,
)


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


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(LogAdmin):
    """The stored first answers of keyed writes (bids, payments, offers): read-only, for support."""

    list_display = ["user", "key", "response_status", "created_at"]
    list_select_related = ["user"]
    search_fields = ["key", "user__email"]
    raw_id_fields = ["user"]
    date_hierarchy = "created_at"


class TransportRateBandFormSet(forms.BaseInlineFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        super().clean()
        starts = [
            form.cleaned_data["from_miles"]
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and "from_miles" in form.cleaned_data
        ]
        if not starts:
            raise forms.ValidationError("A rate card needs at least one per-mile band.")
        if min(starts) != 0:
            raise forms.ValidationError("The first band must start at 0 miles.")
        if len(set(starts)) != len(starts):
            raise forms.ValidationError("Two bands start at the same mileage.")


class TransportRateBandInline(admin.TabularInline):  # type: ignore[type-arg]
    model = TransportRateBand
    formset = TransportRateBandFormSet
    extra = 1
    fields = ["from_miles", "per_mile"]


@admin.register(TransportRateCard)
class TransportRateCardAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """The transport rate table (core/transport.py): the newest active card prices every quote."""

    list_display = [
        "pk",
        "name",
        "base_price",
        "minimum_price",
        "enclosed_surcharge_rate",
        "inoperable_surcharge",
        "road_factor",
        "miles_per_day",
        "is_active",
        "updated_at",
    ]
    list_filter = ["is_active"]
    inlines = [TransportRateBandInline]
    fieldsets = [
        (None, {"fields": ["name", "is_active"]}),
        ("Price", {"fields": ["base_price", "minimum_price", "enclosed_surcharge_rate", "inoperable_surcharge"]}),
        ("Distance and days", {"fields": ["road_factor", "miles_per_day", "pickup_days_min", "pickup_days_max"]}),
    ]

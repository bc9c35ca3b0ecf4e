from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from core.amount_fields import SIGNED_DECIMAL_COLUMNS, StrictDecimalFormField
from core.models import (
    BarrierReport,
    FeeSchedule,
    IdempotencyKey,
    StateFee,
    TransportRateBand,
    TransportRateCard,
    WebhookDelivery,
    WebhookFailure,
)


class StrictNumbersAdminMixin:
    """Decimal columns are typed in with core.money's strict grammar (an amount, or a rate by its decimal
    places), as at every other door: Django's DecimalField would take `６０５００`, `6e5` or ` 600000 `. Every
    ModelAdmin and inline with a decimal column uses it (tests/hardening/test_amount_doors.py checks)."""

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if isinstance(db_field, models.DecimalField):
            kwargs.setdefault("signed", db_field.name in SIGNED_DECIMAL_COLUMNS)
            kwargs["form_class"] = StrictDecimalFormField
            return db_field.formfield(**kwargs)
        return super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]


class _HistoryInline:
    """Rows staff read beside their parent (bids, payments, events, checks) but never add or delete here."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HistoryTabularInline(StrictNumbersAdminMixin, _HistoryInline, admin.TabularInline):  # type: ignore[type-arg]
    pass


class HistoryStackedInline(StrictNumbersAdminMixin, _HistoryInline, admin.StackedInline):  # type: ignore[type-arg]
    pass


class LogAdmin(StrictNumbersAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """An append-only event log: staff read and search it; nobody adds, edits or deletes a row."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FeeSchedule)
class FeeScheduleAdmin(StrictNumbersAdminMixin, admin.ModelAdmin):
    list_display = [
        "pk",
        "buyer_fee_rate",
        "buyer_fee_min",
        "buyer_fee_max",
        "documentation_fee",
        "late_fee",
        "seller_fee_rate",
        "seller_fee_min",
        "storage_fee_per_day",
        "is_active",
        "updated_at",
    ]
    list_filter = ["is_active"]
    fieldsets = [
        (None, {"fields": ["is_active"]}),
        ("Buyer", {"fields": ["buyer_fee_rate", "buyer_fee_min", "buyer_fee_max", "documentation_fee", "late_fee"]}),
        ("Seller", {"fields": ["seller_fee_rate", "seller_fee_min"]}),
        ("Storage after the sale", {"fields": ["storage_free_business_days", "storage_fee_per_day"]}),
    ]


@admin.register(StateFee)
class StateFeeAdmin(StrictNumbersAdminMixin, admin.ModelAdmin):
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


class TransportRateBandInline(StrictNumbersAdminMixin, admin.TabularInline):  # type: ignore[type-arg]
    model = TransportRateBand
    formset = TransportRateBandFormSet
    extra = 1
    fields = ["from_miles", "per_mile"]


@admin.register(TransportRateCard)
class TransportRateCardAdmin(StrictNumbersAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
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


@admin.register(BarrierReport)
class BarrierReportAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Accessibility barriers visitors reported (/accessibility/): open ones first."""

    list_display = ("created_at", "page_url", "short_description", "contact_email", "resolved_at")
    list_filter = (("resolved_at", admin.EmptyFieldListFilter),)
    search_fields = ("page_url", "description", "contact_email")
    readonly_fields = ("page_url", "description", "assistive_technology", "contact_email", "reporter", "created_at")
    list_select_related = ("reporter",)
    fields = (*readonly_fields, "resolved_at", "staff_notes")

    @admin.display(description="Description")
    def short_description(self, obj: BarrierReport) -> str:
        return obj.description[:80]

from django.contrib import admin

from core.models import FeeSchedule, StateFee, WebhookDelivery


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

"""The staff console for vehicles: review queue with approve/reject actions (calling services)."""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from core.admin import HistoryTabularInline, StrictNumbersAdminMixin
from core.audit import staff_action
from core.errors import DomainError
from vehicles import services
from vehicles.forms import RejectForm
from vehicles.models import (
    Favorite,
    SavedSearch,
    Vehicle,
    VehicleDocument,
    VehicleEvent,
    VehiclePhoto,
    VinDecode,
)
from vehicles.validation import EDITABLE_FIELDS


class ReadOnlyInline(HistoryTabularInline):
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PhotoInline(ReadOnlyInline):
    model = VehiclePhoto
    fields = ("preview", "position", "width", "height", "size_bytes", "original_name")
    readonly_fields = fields

    @admin.display(description="Photo")
    def preview(self, photo: VehiclePhoto) -> str:
        return format_html('<img src="{}" width="120" height="90" alt="">', photo.thumbnail.url)


class DocumentInline(ReadOnlyInline):
    model = VehicleDocument
    fields = ("kind", "link", "content_type", "size_bytes", "is_public", "uploaded_by", "created_at")
    readonly_fields = fields

    @admin.display(description="File")
    def link(self, document: VehicleDocument) -> str:
        return format_html(
            '<a href="/vehicles/{}/documents/{}/">{}</a>', document.vehicle_id, document.pk, document.original_name
        )


class EventInline(ReadOnlyInline):
    model = VehicleEvent
    fields = ("created_at", "actor", "from_status", "to_status", "message")
    readonly_fields = fields


REVIEW_FIELDS = ("status", "rejection_reason", "approved_at")


@admin.register(Vehicle)
class VehicleAdmin(StrictNumbersAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "title_link", "vin", "seller", "status", "photo_count", "starting_price", "submitted_at"]
    list_filter = ["status", "title_type", "body_type", "fuel_type", "state"]
    search_fields = ["vin", "make", "model", "seller__email"]
    list_select_related = ["seller"]
    raw_id_fields = ["seller"]
    ordering = ["-submitted_at", "-id"]
    actions = ["approve_vehicles", "reject_vehicles"]
    inlines = [PhotoInline, DocumentInline, EventInline]
    change_form_template = "admin/vehicles/vehicle/change_form.html"
    readonly_fields = [
        "seller", "status", "rejection_reason", "submitted_at", "approved_at", "decoded_specs", "cover_thumbnail",
        "current_price", "auction_status", "auction_ends_at", "bid_count", "snapshot_seq", "listing_price",
        "in_inventory", "ending_rank", "created_at", "updated_at", "damage_mask", "runs_drives", "sale_outcome",
        "sale_price", "sale_ended_at", "sale_bid_count", "sale_seq", "alert_match_pending",
    ]  # fmt: skip

    def get_queryset(self, request: HttpRequest) -> QuerySet[Vehicle]:
        return super().get_queryset(request).annotate(photos_n=Count("photos"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # sellers create vehicles through the listing flow or the CSV import

    @admin.display(description="Vehicle", ordering="make")
    def title_link(self, vehicle: Vehicle) -> str:
        return format_html('<a href="/vehicles/{}/" target="_blank">{}</a>', vehicle.pk, vehicle.title)

    @admin.display(description="Photos", ordering="photos_n")
    def photo_count(self, vehicle: Any) -> int:
        return int(vehicle.photos_n)

    def save_model(self, request: HttpRequest, obj: Vehicle, form: Any, change: bool) -> None:
        """Edits go through the same service (and rules) as the seller's."""
        changed = {name: form.cleaned_data[name] for name in form.changed_data if name in EDITABLE_FIELDS}
        if changed:
            try:
                services.vehicle_update(vehicle_id=obj.pk, actor=request.user, data=changed)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)

    def has_review_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("vehicles.review_vehicle"))

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/approve/", view(require_POST(self.approve_view)), name="vehicles_vehicle_approve"),
            path("<int:pk>/reject/", view(require_POST(self.reject_view)), name="vehicles_vehicle_reject"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The listing with what staff review: every photo, the condition report, the title, the documents."""
        vehicle = Vehicle.objects.select_related("seller").filter(pk=object_id).first()
        context = dict(extra_context or {})
        if vehicle is not None:
            context.update(
                review_photos=list(vehicle.photos.all()),
                review_documents=list(vehicle.documents.all()),
                may_review=self.has_review_permission(request) and vehicle.status == Vehicle.Status.PENDING_REVIEW,
                may_reject=self.has_review_permission(request)
                and vehicle.status in (Vehicle.Status.PENDING_REVIEW, Vehicle.Status.APPROVED),
                reject_form=RejectForm(),
            )
        return super().change_view(request, object_id, form_url, context)

    def _decide(self, request: HttpRequest, pk: int, action: str, reason: str, call: Any) -> HttpResponse:
        if not self.has_review_permission(request):
            raise PermissionDenied
        try:
            with staff_action(request, action, Vehicle, pk, fields=REVIEW_FIELDS, reason=reason):
                call()
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                "Approved; the seller was told and the vehicle is in the inventory."
                if action == "vehicle_approve"
                else "Rejected; the seller was told why and can resubmit.",
            )
        return HttpResponseRedirect(reverse("admin:vehicles_vehicle_change", args=[pk]))

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._decide(
            request, pk, "vehicle_approve", "", lambda: services.vehicle_approve(vehicle_id=pk, actor=request.user)
        )

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = RejectForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Say why the vehicle is rejected (at least a few words): the seller reads it.")
            return HttpResponseRedirect(reverse("admin:vehicles_vehicle_change", args=[pk]))
        reason = form.cleaned_data["reason"]
        return self._decide(
            request, pk, "vehicle_reject", reason,
            lambda: services.vehicle_reject(vehicle_id=pk, actor=request.user, reason=reason),
        )  # fmt: skip

    @admin.action(description="Approve selected vehicles", permissions=["review"])
    def approve_vehicles(self, request: HttpRequest, queryset: QuerySet[Vehicle]) -> None:
        done, failed = 0, []
        for vehicle in queryset:
            try:
                with staff_action(request, "vehicle_approve", Vehicle, vehicle.pk, fields=REVIEW_FIELDS):
                    services.vehicle_approve(vehicle_id=vehicle.pk, actor=request.user)
                done += 1
            except DomainError as exc:
                failed.append(f"{vehicle}: {exc.message}")
        if done:
            self.message_user(request, f"Approved {done} vehicle{'s' if done != 1 else ''}; sellers were notified.")
        for message in failed:
            self.message_user(request, message, messages.WARNING)

    @admin.action(description="Reject selected vehicles (with a reason)", permissions=["review"])
    def reject_vehicles(self, request: HttpRequest, queryset: QuerySet[Vehicle]) -> HttpResponse | None:
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done, failed = 0, []
            for vehicle in queryset:
                try:
                    reason = form.cleaned_data["reason"]
                    with staff_action(
                        request, "vehicle_reject", Vehicle, vehicle.pk, fields=REVIEW_FIELDS, reason=reason
                    ):
                        services.vehicle_reject(vehicle_id=vehicle.pk, actor=request.user, reason=reason)
                    done += 1
                except DomainError as exc:
                    failed.append(f"{vehicle}: {exc.message}")
            if done:
                self.message_user(request, f"Rejected {done} vehicle{'s' if done != 1 else ''}; sellers were told why.")
            for message in failed:
                self.message_user(request, message, messages.WARNING)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject vehicles",
            "vehicles": queryset,
            "form": form,
            "opts": self.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/vehicles/reject.html", context)


@admin.register(VinDecode)
class VinDecodeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["vin", "source", "decoded_at"]
    list_filter = ["source"]
    search_fields = ["vin"]
    readonly_fields = ["vin", "source", "specs", "raw", "decoded_at"]


@admin.register(Favorite)
class FavoriteAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["user", "vehicle", "created_at"]
    list_select_related = ["user", "vehicle"]
    raw_id_fields = ["user", "vehicle"]
    search_fields = ["user__email", "vehicle__vin"]


@admin.register(SavedSearch)
class SavedSearchAdmin(admin.ModelAdmin):
    """Read-only: users manage their searches on the site; staff look (support questions about alerts)."""

    list_display = ["id", "name", "user", "frequency", "paused_at", "last_alert_at", "created_at"]
    list_filter = ["frequency"]
    search_fields = ["name", "user__email"]
    list_select_related = ["user"]
    readonly_fields = [
        "user", "name", "criteria", "frequency", "paused_at", "digest_due_at", "last_alert_at", "created_at",
        "updated_at",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

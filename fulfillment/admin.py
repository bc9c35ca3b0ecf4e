"""The staff console for what happens after the sale: each order's tracks, documents, storage, proceeds and
payouts, with actions that call the services (approve or reject documents, re-file the title, re-book
transport, waive storage, reset the pickup code, charge the seller, mark the payout paid)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from core.admin import HistoryTabularInline, LogAdmin
from core.amount_fields import StrictDecimalFormField
from core.audit import staff_action
from core.errors import DomainError
from fulfillment import services
from fulfillment.holds import proceeds_hold_reasons
from fulfillment.models import (
    Fulfillment,
    FulfillmentEvent,
    ProceedsLine,
    ProceedsStatus,
    SellerProceeds,
    StorageDay,
    TitleDocument,
    TitleStatus,
    TransportBooking,
    VehicleStatus,
)


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="The seller or buyer sees it.")


class RebookForm(ReasonForm):
    charge_seller = forms.BooleanField(
        required=False,
        help_text="The seller caused it (the vehicle was not released): deduct the transport from their proceeds.",
    )


class ChargeSellerForm(ReasonForm):
    kind = forms.ChoiceField(
        choices=[
            (ProceedsLine.Kind.STORAGE, "Storage"),
            (ProceedsLine.Kind.TRANSPORT, "Transport"),
            (ProceedsLine.Kind.ADJUSTMENT, "Adjustment"),
        ]
    )
    amount = StrictDecimalFormField(allow_zero=False)


class PayoutForm(forms.Form):
    reference = forms.CharField(max_length=100, help_text="The bank transfer or check number.")


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label="I confirm")


class DocumentInline(HistoryTabularInline):
    model = TitleDocument
    fields = ("created_at", "kind", "status", "file_link", "rejection_reason", "reviewed_by", "reviewed_at")
    readonly_fields = fields

    @admin.display(description="File")
    def file_link(self, document: TitleDocument) -> str:
        url = reverse("fulfillment:title-document", args=[document.fulfillment.order_id, document.pk])
        return format_html('<a href="{}">{}</a>', url, document.original_name)


class BookingInline(HistoryTabularInline):
    model = TransportBooking
    fields = (
        "attempt",
        "status",
        "price",
        "delivery_zip",
        "vendor_guid",
        "vendor_status",
        "carrier_name",
        "driver_name",
        "pickup_eta",
        "delivery_eta",
        "booking_error",
    )
    readonly_fields = fields


class StorageInline(HistoryTabularInline):
    model = StorageDay
    fields = ("day", "status", "reason", "amount", "note")
    readonly_fields = fields


class EventInline(HistoryTabularInline):
    model = FulfillmentEvent
    fields = ("created_at", "track", "kind", "from_status", "to_status", "message", "source", "actor")
    readonly_fields = fields
    verbose_name_plural = "timeline"


ACTIONS: dict[str, tuple[str, type[forms.Form]]] = {
    "approve": ("Approve the title documents", ConfirmForm),
    "reject": ("Reject the title documents", ReasonForm),
    "refile": ("File the title again", ConfirmForm),
    "return": ("Ask the seller for new title documents", ReasonForm),
    "title-delivered": ("Mark the title delivered to the buyer", ConfirmForm),
    "rebook": ("Re-book the transport", RebookForm),
    "waive": ("Waive storage", ReasonForm),
    "reset-code": ("Issue a new pickup code", ConfirmForm),
    "charge-seller": ("Charge the seller", ChargeSellerForm),
    "payout": ("Mark the payout paid", PayoutForm),
    "complete": ("Complete the order now (if nothing holds it)", ConfirmForm),
}


def _run(action: str, order_id: int, actor: Any, data: dict[str, Any]) -> str:
    """Each admin action calls one service; returns the message shown to staff."""
    runners: dict[str, Callable[[], Any]] = {
        "approve": lambda: services.title_documents_approve(order_id=order_id, actor=actor),
        "reject": lambda: services.title_documents_reject(order_id=order_id, actor=actor, reason=data["reason"]),
        "refile": lambda: services.title_refile(order_id=order_id, actor=actor),
        "return": lambda: services.title_return_to_seller(order_id=order_id, actor=actor, reason=data["reason"]),
        "title-delivered": lambda: services.title_mark_delivered(order_id=order_id, actor=actor),
        "rebook": lambda: services.transport_rebook(
            order_id=order_id, actor=actor, reason=data["reason"], charge_seller=data.get("charge_seller", False)
        ),
        "waive": lambda: services.storage_waive(order_id=order_id, actor=actor, reason=data["reason"]),
        "reset-code": lambda: services.pickup_code_reset(order_id=order_id, actor=actor),
        "charge-seller": lambda: services.proceeds_charge_seller(
            order_id=order_id, actor=actor, kind=data["kind"], amount=data["amount"], reason=data["reason"]
        ),
        "payout": lambda: services.proceeds_mark_paid(order_id=order_id, actor=actor, reference=data["reference"]),
        "complete": lambda: services.fulfillment_complete(order_id=order_id),
    }
    result = runners[action]()
    if action == "complete" and not result:
        raise DomainError("Not completed: " + "; ".join(r.message for r in proceeds_hold_reasons_for(order_id)))
    if action == "waive":
        return f"Storage waived (${result:,}). If the buyer already paid it, refund that amount from the order."
    return f"{ACTIONS[action][0]}: done."


def proceeds_hold_reasons_for(order_id: int) -> list[Any]:
    fulfillment = Fulfillment.objects.select_related("order").get(order_id=order_id)
    return proceeds_hold_reasons(fulfillment.order, fulfillment=fulfillment)


def available_actions(fulfillment: Fulfillment) -> list[str]:
    title, vehicle = fulfillment.title_status, fulfillment.vehicle_status
    found = []
    if title == TitleStatus.DOCUMENTS_REVIEW and not fulfillment.documents_approved_at:
        found += ["approve", "reject"]
    if title == TitleStatus.FILING_REJECTED:
        found += ["refile", "return"]
    if title == TitleStatus.TITLE_ISSUED:
        found.append("title-delivered")
    if fulfillment.delivery_method == "transport" and vehicle in (
        VehicleStatus.CANCELLED,
        VehicleStatus.BOOKED,
        VehicleStatus.CARRIER_ASSIGNED,
    ):
        found.append("rebook")
    if fulfillment.storage_days.filter(status=StorageDay.Status.CHARGED).exists():
        found.append("waive")
    if vehicle in (VehicleStatus.AWAITING_CHOICE, VehicleStatus.AWAITING_PICKUP):
        found.append("reset-code")
    proceeds = SellerProceeds.objects.filter(order_id=fulfillment.order_id).first()
    if proceeds and proceeds.status == ProceedsStatus.HELD:
        found += ["charge-seller", "complete"]
    if proceeds and proceeds.status == ProceedsStatus.RELEASED:
        found.append("payout")
    return found


class LateDocumentsFilter(admin.SimpleListFilter):
    title = "title documents"
    parameter_name = "documents"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("late", "Late from the seller")]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() == "late":
            from django.utils import timezone

            return queryset.open().awaiting_documents().filter(documents_due_at__lt=timezone.now())
        return queryset


@admin.register(Fulfillment)
class FulfillmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "order",
        "vehicle",
        "title_status",
        "vehicle_status",
        "delivery_method",
        "documents_due_at",
        "released_at",
        "completed_at",
    ]
    list_filter = [
        LateDocumentsFilter,
        "title_status",
        "vehicle_status",
        "delivery_method",
        ("completed_at", admin.EmptyFieldListFilter),
    ]
    search_fields = [
        "order__number",
        "order__vehicle__vin",
        "order__buyer__email",
        "order__seller__email",
        "title_transfer_id",
    ]
    list_select_related = ["order__vehicle"]
    inlines = [DocumentInline, BookingInline, StorageInline, EventInline]
    readonly_fields = [f.name for f in Fulfillment._meta.fields if f.name != "pickup_code"] + ["staff_actions", "holds"]
    exclude = ["pickup_code"]
    fieldsets = [
        (None, {"fields": ["order", "staff_actions", "holds", "started_at", "completed_at"]}),
        (
            "Title",
            {
                "fields": [
                    "title_status",
                    "documents_due_at",
                    "documents_reminders_sent",
                    "documents_late_at",
                    "documents_approved_at",
                    "title_promised_by",
                    "title_transfer_id",
                    "title_transfer_status",
                    "title_filing_attempt",
                    "title_filing_error",
                    "title_rejection_reason",
                    "title_number",
                    "title_issued_at",
                    "title_delivered_at",
                ]
            },
        ),
        (
            "Vehicle",
            {
                "fields": [
                    "delivery_method",
                    "vehicle_status",
                    "released_at",
                    "pickup_code_failures",
                    "pickup_locked_at",
                    "picked_up_at",
                    "delivered_at",
                ]
            },
        ),
        ("Storage", {"fields": ["free_storage_until", "storage_stopped_at", "storage_recorded_through"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Vehicle")
    def vehicle(self, fulfillment: Fulfillment) -> str:
        return str(fulfillment.order.vehicle)

    @admin.display(description="Holding the proceeds")
    def holds(self, fulfillment: Fulfillment) -> str:
        reasons = proceeds_hold_reasons(fulfillment.order, fulfillment=fulfillment)
        return "; ".join(r.message for r in reasons) or "Nothing"

    @admin.display(description="Actions")
    def staff_actions(self, fulfillment: Fulfillment) -> str:
        actions = available_actions(fulfillment)
        if not actions:
            return "-"
        return format_html_join(
            " ",
            '<a class="button" href="{}">{}</a>',
            ((reverse("admin:fulfillment_fulfillment_act", args=[fulfillment.pk, a]), ACTIONS[a][0]) for a in actions),
        )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/act/<slug:action>/",
                self.admin_site.admin_view(self.action_view),
                name="fulfillment_fulfillment_act",
            ),
            *super().get_urls(),
        ]

    def action_view(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        fulfillment = get_object_or_404(Fulfillment.objects.select_related("order"), pk=pk)
        if action not in ACTIONS:
            return HttpResponseRedirect(reverse("admin:fulfillment_fulfillment_change", args=[pk]))
        if action in ("approve", "reject") and not request.user.has_perm(REVIEW_PERMISSION):
            raise PermissionDenied
        title, form_class = ACTIONS[action]
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                message = _run(action, fulfillment.order_id, request.user, form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, message, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:fulfillment_fulfillment_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "fulfillment": fulfillment,
            "order": fulfillment.order,
            "form": form,
            "title": f"{title} — {fulfillment.order.number}",
            "button": title,
            "opts": self.model._meta,
            "documents": fulfillment.documents.exclude(status=TitleDocument.Status.REPLACED)
            if action in ("approve", "reject")
            else [],
        }
        return render(request, "admin/fulfillment/action.html", context)


class ProceedsLineInline(HistoryTabularInline):
    model = ProceedsLine
    fields = ("created_at", "kind", "label", "amount", "actor")
    readonly_fields = fields


@admin.register(SellerProceeds)
class SellerProceedsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "order",
        "seller",
        "net",
        "status",
        "released_at",
        "payout_due_at",
        "paid_out_at",
        "payout_reference",
    ]
    list_filter = ["status", ("payout_due_at", admin.DateFieldListFilter)]
    search_fields = ["order__number", "seller__email", "payout_reference"]
    list_select_related = ["order", "seller"]
    inlines = [ProceedsLineInline]
    readonly_fields = [f.name for f in SellerProceeds._meta.fields] + ["fulfillment_link"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Fulfillment (actions)")
    def fulfillment_link(self, proceeds: SellerProceeds) -> str:
        fulfillment = Fulfillment.objects.filter(order_id=proceeds.order_id).first()
        if fulfillment is None:
            return "-"
        return format_html(
            '<a href="{}">Open</a>', reverse("admin:fulfillment_fulfillment_change", args=[fulfillment.pk])
        )


class AwaitingReviewFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("waiting", "Waiting for review")]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() == "waiting":
            return queryset.filter(
                status=TitleDocument.Status.UPLOADED,
                fulfillment__title_status=TitleStatus.DOCUMENTS_REVIEW,
                fulfillment__documents_approved_at__isnull=True,
            )
        return queryset


REVIEW_PERMISSION = "fulfillment.review_titledocument"


@admin.register(TitleDocument)
class TitleDocumentAdmin(LogAdmin):
    """Title documents; the detail page shows the document beside the order's whole set, with Approve (the set:
    the transfer is filed) and Reject (this document or the set, with the reason the seller reads)."""

    list_display = ["fulfillment", "kind", "status", "original_name", "created_at", "reviewed_by"]
    list_filter = [AwaitingReviewFilter, "status", "kind"]
    search_fields = ["fulfillment__order__number", "original_name"]
    list_select_related = ["fulfillment__order", "reviewed_by"]
    change_form_template = "admin/fulfillment/titledocument/change_form.html"

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/approve/", view(self.approve_view), name="fulfillment_titledocument_approve"),
            path("<int:pk>/reject/", view(self.reject_view), name="fulfillment_titledocument_reject"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        document = TitleDocument.objects.select_related("fulfillment__order__vehicle").filter(pk=object_id).first()
        extra: dict[str, Any] = {**(extra_context or {})}
        if document is not None:
            fulfillment = document.fulfillment
            waiting = fulfillment.title_status == TitleStatus.DOCUMENTS_REVIEW and not fulfillment.documents_approved_at
            extra.update(
                document=document,
                order=fulfillment.order,
                review_fulfillment=fulfillment,
                review_set=fulfillment.documents.exclude(status=TitleDocument.Status.REPLACED).order_by("kind"),
                may_review=waiting and request.user.has_perm(REVIEW_PERMISSION),
                reject_form=ReasonForm(),
            )
        return super().change_view(request, object_id, form_url, extra)

    def _review(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:fulfillment_titledocument_change", args=[pk]))
        if not request.user.has_perm(REVIEW_PERMISSION):
            raise PermissionDenied
        document = get_object_or_404(TitleDocument.objects.select_related("fulfillment"), pk=pk)
        order_id = document.fulfillment.order_id
        reason = (request.POST.get("reason") or "").strip()
        only_this = request.POST.get("scope") == "document"
        try:
            with staff_action(request, f"title_documents_{action}", Fulfillment, document.fulfillment_id,
                              fields=("title_status", "documents_approved_at"), reason=reason) as note:  # fmt: skip
                note.extra["document"] = document.pk
                if action == "approve":
                    services.title_documents_approve(order_id=order_id, actor=request.user)
                else:
                    services.title_documents_reject(
                        order_id=order_id, actor=request.user, reason=reason,
                        document_ids=[document.pk] if only_this else None,
                    )  # fmt: skip
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            done = (
                "Approved; the transfer is being filed."
                if action == "approve"
                else "Rejected; the seller was told why."
            )
            self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:fulfillment_titledocument_change", args=[pk]))

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._review(request, pk, "approve")

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._review(request, pk, "reject")


@admin.register(FulfillmentEvent)
class FulfillmentEventAdmin(LogAdmin):
    list_display = ["created_at", "fulfillment", "track", "kind", "from_status", "to_status", "source", "actor"]
    list_filter = ["track", "source", "kind"]
    search_fields = ["fulfillment__order__number", "message"]
    list_select_related = ["fulfillment__order", "actor"]


from fulfillment import admin_claims  # noqa: E402,F401 - registers the claims queue and page

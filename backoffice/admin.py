"""Console tables: fraud flags (review), staff notes, device sightings, the audit trail (read-only)."""

from typing import Any

from auditlog.admin import LogEntryAdmin as AuditlogEntryAdmin
from auditlog.models import LogEntry
from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from backoffice.models import DeviceSighting, FraudFlag, StaffNote
from backoffice.services import fraud_flag_review
from core.admin import LogAdmin
from core.audit import staff_action
from core.errors import DomainError


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=[(FraudFlag.Verdict.DISMISSED, "Dismissed (no fraud)"), (FraudFlag.Verdict.CONFIRMED, "Confirmed")]
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


@admin.register(FraudFlag)
class FraudFlagAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "auction_link", "bidder", "seller", "summary", "verdict"]
    list_filter = ["kind", ("reviewed_at", admin.EmptyFieldListFilter), "verdict"]
    list_select_related = ["bidder", "seller"]
    search_fields = ["bidder__email", "seller__email", "=auction__id", "summary"]
    readonly_fields = [
        "kind", "auction", "bid", "bidder", "seller", "summary", "evidence", "created_at", "reviewed_at",
        "reviewed_by", "verdict", "review_note",
    ]  # fmt: skip
    change_form_template = "admin/backoffice/fraudflag/change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Auction")
    def auction_link(self, flag: FraudFlag) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:console_auction", args=[flag.auction_id]), flag.auction_id
        )

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        may_review = request.user.has_perm("backoffice.review_fraudflag")
        form = ReviewForm(request.POST if request.method == "POST" and "verdict" in request.POST else None)
        if form.is_bound:
            if not may_review:
                messages.error(request, "You may not review fraud flags.")
                return HttpResponseRedirect(request.path)
            if form.is_valid():
                try:
                    with staff_action(
                        request, "fraud_flag_review", FraudFlag, object_id, fields=("verdict", "review_note"),
                        reason=form.cleaned_data["note"],
                    ):  # fmt: skip
                        fraud_flag_review(
                            flag_id=int(object_id), actor=request.user, verdict=form.cleaned_data["verdict"],
                            note=form.cleaned_data["note"],
                        )  # fmt: skip
                except DomainError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, "Flag reviewed.")
                return HttpResponseRedirect(request.path)
        context = {**(extra_context or {}), "review_form": form, "may_review": may_review}
        return super().change_view(request, object_id, form_url, context)


@admin.register(StaffNote)
class StaffNoteAdmin(LogAdmin):
    list_display = ["created_at", "user", "author", "body"]
    list_select_related = ["user", "author"]
    search_fields = ["user__email", "body"]


@admin.register(DeviceSighting)
class DeviceSightingAdmin(LogAdmin):
    list_display = ["last_seen_at", "user", "device_id", "ip_address", "first_seen_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "=device_id", "=ip_address"]


admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class AuditTrailAdmin(AuditlogEntryAdmin):
    """The audit trail: staff actions and table edits, searchable, never changed or deleted."""

    list_display = ["created", "staff_action", "resource_url", "msg_short", "user_url", "remote_addr"]
    search_fields = [
        "object_repr", "changes", "additional_data", "remote_addr", "actor_email", "actor__email",
        "actor__first_name", "actor__last_name",
    ]  # fmt: skip

    @admin.display(description="Action")
    def staff_action(self, entry: LogEntry) -> str:
        data = entry.additional_data or {}
        if isinstance(data, dict) and data.get("action"):
            reason = data.get("reason") or ""
            return f"{data['action']}" + (f" — {reason[:80]}" if reason else "")
        return str(entry.get_action_display())

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

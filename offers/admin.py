"""The staff console for offers: threads with their amounts and events, filters, and staff withdraw."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html

from core.admin import StrictNumbersAdminMixin
from core.audit import staff_action
from core.errors import DomainError
from offers.models import OfferAmount, OfferEvent, OfferRules, OfferThread
from offers.services import offer_staff_withdraw


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OfferAmountInline(ReadOnlyInline):
    model = OfferAmount
    fields = ("seq", "side", "author", "amount", "created_at", "expires_at", "first_shown_at", "reminded_at")
    readonly_fields = fields
    ordering = ["seq"]


class OfferEventInline(ReadOnlyInline):
    model = OfferEvent
    fields = ("created_at", "kind", "side", "actor", "from_status", "to_status", "amount", "data")
    readonly_fields = fields
    ordering = ["created_at", "pk"]


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Reason (both sides read it)", widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), min_length=5
    )


@admin.register(OfferThread)
class OfferThreadAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "vehicle", "kind", "status", "amount", "turn", "expires_at", "buyer", "seller", "updated_at"]
    list_filter = ["status", "kind", ("vehicle", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["=id", "vehicle__vin", "vehicle__make", "vehicle__model", "buyer__email", "seller__email"]
    list_select_related = ["vehicle", "buyer", "seller"]
    raw_id_fields = ["vehicle", "buyer", "seller", "auction", "ended_by"]
    readonly_fields = [f.name for f in OfferThread._meta.fields] + ["staff_actions"]
    inlines = [OfferAmountInline, OfferEventInline]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[OfferThread]:
        return super().get_queryset(request).select_related("vehicle", "buyer", "seller")

    @admin.display(description="Actions")
    def staff_actions(self, thread: OfferThread) -> str:
        if not thread.pk or not thread.is_open:
            return "-"
        url = reverse("admin:offers_offerthread_withdraw", args=[thread.pk])
        return format_html('<a class="button" href="{}">Withdraw…</a>', url)

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:thread_id>/withdraw/",
                self.admin_site.admin_view(self.withdraw_view),
                name="offers_offerthread_withdraw",
            ),
            *super().get_urls(),
        ]

    def withdraw_view(self, request: HttpRequest, thread_id: int) -> HttpResponse:
        if not request.user.has_perm("offers.withdraw_offerthread"):
            raise PermissionDenied
        thread = get_object_or_404(OfferThread.objects.select_related("vehicle", "buyer", "seller"), pk=thread_id)
        form = WithdrawForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                with staff_action(
                    request, "offer_staff_withdraw", OfferThread, thread.pk, fields=("status",),
                    reason=form.cleaned_data["reason"],
                ):  # fmt: skip
                    offer_staff_withdraw(thread_id=thread.pk, staff=request.user, reason=form.cleaned_data["reason"])
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request, f"Offer thread {thread.pk} withdrawn; both sides were told.", messages.SUCCESS
                )
                return HttpResponseRedirect(reverse("admin:offers_offerthread_change", args=[thread.pk]))
        context = {
            **self.admin_site.each_context(request),
            "thread": thread,
            "form": form,
            "title": f"Withdraw offer thread {thread.pk}",
            "opts": self.model._meta,
        }
        return render(request, "admin/offers/withdraw.html", context)


@admin.register(OfferRules)
class OfferRulesAdmin(StrictNumbersAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["vehicle", "auto_decline_below", "auto_accept_at", "updated_by", "updated_at"]
    search_fields = ["vehicle__vin", "vehicle__make", "vehicle__model"]
    list_select_related = ["vehicle", "updated_by"]
    raw_id_fields = ["vehicle", "updated_by"]
    readonly_fields = ["updated_by", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the seller's rules: they change them on the listing (offers.services.offer_rules_update)

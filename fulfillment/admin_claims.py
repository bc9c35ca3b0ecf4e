"""The claims queue and the claim page of the staff console (imported by fulfillment.admin).

The queue is the changelist: open claims first by their running deadline, filters by status, category,
outcome and deadline. The claim page shows the whole order on one page — the claim's messages and photos, the
condition report as listed with the listing's photos, both tracks, the money and the proceeds, and the order's
whole timeline — with the decision (deny: `fulfillment.answer_claim`; with money: also `orders.refund_order`)
and a message to both parties. Every decision is an audit entry (core.audit.staff_action)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from core.admin import StrictNumbersAdminMixin
from core.amount_fields import StrictDecimalFormField
from core.audit import staff_action
from core.errors import DomainError
from fulfillment import selectors, services
from fulfillment.holds import proceeds_hold_reasons
from fulfillment.models import Fulfillment, SellerProceeds
from fulfillment.models_claims import (
    DECIDABLE_CLAIM_STATUSES,
    MONEY_OUTCOMES,
    OPEN_CLAIM_STATUSES,
    Claim,
    ClaimOutcome,
    ClaimStatus,
)
from fulfillment.services.claim_decisions import ANSWER_PERMISSION, MONEY_PERMISSION, refund_steps_of
from orders.payments import OPEN as OPEN_PAYMENT
from orders.payments import refundable_amount

DECISION_FIELDS = ("status", "outcome", "decision_reason", "refunded")


class DeadlineFilter(admin.SimpleListFilter):
    title = "deadline"
    parameter_name = "deadline"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("overdue", "Past the deadline"), ("24h", "Due within 24 hours"), ("open", "Open")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Claim]) -> QuerySet[Claim]:
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.filter(status__in=OPEN_CLAIM_STATUSES, due_at__lt=now)
        if self.value() == "24h":
            return queryset.filter(status__in=OPEN_CLAIM_STATUSES, due_at__gte=now, due_at__lt=now + timedelta(days=1))
        if self.value() == "open":
            return queryset.filter(status__in=OPEN_CLAIM_STATUSES)
        return queryset


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(choices=[(v, label) for v, label in ClaimOutcome.choices if v])
    amount = StrictDecimalFormField(
        required=False, allow_zero=False, label="Refund amount", help_text="For a partial refund only."
    )
    charge_seller = forms.BooleanField(
        required=False, initial=True, label="The seller bears the partial refund (it comes off their proceeds)"
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, help_text="The buyer and the seller read it."
    )

    def __init__(self, *args: Any, may_refund: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        outcome = self.fields["outcome"]
        assert isinstance(outcome, forms.ChoiceField)
        if not may_refund:
            outcome.choices = [(ClaimOutcome.DENIED.value, ClaimOutcome.DENIED.label)]
            outcome.help_text = "Refunds need the finance role."


class MessageForm(forms.Form):
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, label="Message to both parties"
    )


@admin.register(Claim)
class ClaimAdmin(StrictNumbersAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "claim_link",
        "order",
        "category",
        "status",
        "deadline",
        "buyer",
        "seller",
        "opened_at",
        "outcome",
        "refunded",
    ]
    list_filter = ["status", DeadlineFilter, "category", "outcome", ("opened_at", admin.DateFieldListFilter)]
    list_select_related = ["order", "buyer", "seller"]
    search_fields = ["=id", "order__number", "buyer__email", "seller__email", "order__vehicle__vin"]
    list_display_links = None
    change_form_template = "admin/fulfillment/claim/change_form.html"

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        return [F("due_at").asc(nulls_last=True), "-opened_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Claim", ordering="pk")
    def claim_link(self, claim: Claim) -> str:
        return format_html('<a href="{}">{}</a>', reverse("admin:fulfillment_claim_change", args=[claim.pk]), claim)

    @admin.display(description="Deadline", ordering="due_at")
    def deadline(self, claim: Claim) -> str:
        from backoffice.templatetags.console import central

        if claim.due_at is None:
            return "—"
        late = claim.due_at < timezone.now()
        if claim.status == ClaimStatus.AWAITING_SELLER:
            who = "seller"
        elif claim.status == ClaimStatus.RETURNING:  # the vehicle's return: the buyer sends, the seller receives
            who = "buyer: return" if claim.return_step == "buyer" else "seller: receipt"
        else:
            who = "staff"
        return format_html(
            '<span class="{}">{} ({}{})</span>', "console-late" if late else "", central(claim.due_at), who,
            ", late" if late else "",
        )  # fmt: skip

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/decide/", view(require_POST(self.decide_view)), name="fulfillment_claim_decide"),
            path("<int:pk>/message/", view(require_POST(self.message_view)), name="fulfillment_claim_message"),
            path("<int:pk>/returned/", view(require_POST(self.returned_view)), name="fulfillment_claim_returned"),
            path("<int:pk>/reconcile/", view(require_POST(self.reconcile_view)), name="fulfillment_claim_reconcile"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return self._page(request, int(object_id))

    def _page(
        self, request: HttpRequest, pk: int, *, decision: DecisionForm | None = None, note: MessageForm | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        claim = get_object_or_404(
            Claim.objects.select_related("order__vehicle", "buyer", "seller", "decided_by"), pk=pk
        )
        order = claim.order
        fulfillment = Fulfillment.objects.filter(order_id=order.pk).first()
        proceeds = SellerProceeds.objects.filter(order_id=order.pk).first()
        user = request.user
        may_answer = user.has_perm(ANSWER_PERMISSION)
        may_refund = may_answer and user.has_perm(MONEY_PERMISSION)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{claim} — {claim.get_category_display()}",
            "claim": claim,
            "order": order,
            "vehicle": order.vehicle,
            "fulfillment": fulfillment,
            "proceeds": proceeds,
            "proceeds_lines": list(proceeds.lines.order_by("pk")) if proceeds else [],
            "holds": proceeds_hold_reasons(order, fulfillment=fulfillment) if fulfillment else [],
            "events": list(claim.events.select_related("actor").prefetch_related("photos")),
            "listing_photos": list(order.vehicle.photos.all()[:24]),
            "timeline": selectors.order_timeline_for_staff(order),
            "other_claims": list(Claim.objects.filter(order_id=order.pk).exclude(pk=claim.pk)),
            "refundable": refundable_amount(order),
            "decidable": claim.status in DECIDABLE_CLAIM_STATUSES,
            "refund_steps": refund_steps_of(claim) if claim.status == ClaimStatus.SETTLING else [],
            "unknown_refunds": [
                p
                for _, p in (refund_steps_of(claim) if claim.status == ClaimStatus.SETTLING else [])
                if p is not None and p.status in OPEN_PAYMENT
            ],
            "now": timezone.now(),
            "may_answer": may_answer,
            "may_refund": may_refund,
            "decision_form": decision or DecisionForm(may_refund=may_refund),
            "message_form": note or MessageForm(),
        }
        status = 400 if (decision and decision.errors) or (note and note.errors) else 200
        return TemplateResponse(request, self.change_form_template, context, status=status)

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(ANSWER_PERMISSION):
            raise PermissionDenied
        may_refund = request.user.has_perm(MONEY_PERMISSION)
        form = DecisionForm(request.POST, may_refund=may_refund)
        outcome = request.POST.get("outcome", "")
        if outcome in MONEY_OUTCOMES and not may_refund:
            raise PermissionDenied  # a support member asking for a refund
        if not form.is_valid():
            return self._page(request, pk, decision=form)
        data = form.cleaned_data
        amount: Decimal | None = data.get("amount")
        try:
            with staff_action(
                request, "claim_decide", Claim, pk, fields=DECISION_FIELDS, reason=data["reason"]
            ) as note:
                note.extra.update(outcome=data["outcome"], amount=f"{amount:.2f}" if amount else "")
                claim = services.claim_decide(
                    claim_id=pk, actor=request.user, outcome=data["outcome"], reason=data["reason"], amount=amount,
                    charge_seller=data["charge_seller"],
                )  # fmt: skip
                note.extra["result"] = claim.status
        except DomainError as exc:
            form.add_error(None, exc.message)
            for name, errors in exc.details.items():
                if name in form.fields:
                    form.add_error(name, errors)
            return self._page(request, pk, decision=form)
        if claim.status == ClaimStatus.DECIDED:
            self.message_user(request, f"{claim} decided: {claim.get_outcome_display()}. Both parties were told.")
        elif claim.status == ClaimStatus.SETTLING:
            self.message_user(request, "Decided; the refund is still being confirmed by the card processor.",
                              messages.WARNING)  # fmt: skip
        else:
            self.message_user(request, "The refund did not go through; the claim is back for a decision.",
                              messages.ERROR)  # fmt: skip
        return HttpResponseRedirect(reverse("admin:fulfillment_claim_change", args=[pk]))

    def returned_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Staff mark the vehicle returned (the seller did not confirm, or told staff instead)."""
        if not request.user.has_perm(ANSWER_PERMISSION):
            raise PermissionDenied
        note = request.POST.get("note", "").strip()[:4000]
        try:
            with staff_action(request, "claim_mark_returned", Claim, pk, fields=("status", "returned_at"),
                              reason=note or "Vehicle back with the seller") as entry:  # fmt: skip
                claim = services.claim_return_received(actor=request.user, claim_id=pk, note=note)
                entry.extra["result"] = claim.status
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            self.message_user(request, "Marked returned; the claim is closed and both parties were told.")
        return HttpResponseRedirect(reverse("admin:fulfillment_claim_change", args=[pk]))

    def reconcile_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Finance: ask the payment processor now about a decision's refunds whose outcome is unknown (what the
        beat does every 2 minutes); the claim moves on when the answer is known."""
        if not (request.user.has_perm(ANSWER_PERMISSION) and request.user.has_perm(MONEY_PERMISSION)):
            raise PermissionDenied
        claim = services.claim_resume(claim_id=pk)
        if claim.status == ClaimStatus.SETTLING:
            self.message_user(request, "The payment processor has still not answered; nothing was recorded. Try "
                              "again later: reconciliation also runs every few minutes.", messages.WARNING)  # fmt: skip
        elif claim.status == ClaimStatus.IN_REVIEW:
            self.message_user(request, "The refund did not go through; the claim is back for a decision.",
                              messages.ERROR)  # fmt: skip
        else:
            self.message_user(request, f"The refund is confirmed: {claim.get_status_display().lower()}.")
        return HttpResponseRedirect(reverse("admin:fulfillment_claim_change", args=[pk]))

    def message_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not request.user.has_perm(ANSWER_PERMISSION):
            raise PermissionDenied
        form = MessageForm(request.POST)
        if not form.is_valid():
            return self._page(request, pk, note=form)
        try:
            services.claim_message(actor=request.user, claim_id=pk, message=form.cleaned_data["message"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            self.message_user(request, "Message sent to the buyer and the seller.")
        return HttpResponseRedirect(reverse("admin:fulfillment_claim_change", args=[pk]))

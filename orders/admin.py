"""The staff console for orders: filters, timeline, payments, refund and cancel."""

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from core.admin import HistoryTabularInline, StrictNumbersAdminMixin
from core.amount_fields import StrictDecimalFormField
from core.audit import staff_action
from core.errors import DomainError
from orders.models import ORDER_AMOUNT_FIELDS, ORDER_PAYMENT_FIELDS, ORDER_PRICE_FIELDS, Order, OrderEvent, Payment
from orders.payments import order_refund, refundable_amount
from orders.services import order_cancel


class OverdueFilter(admin.SimpleListFilter):
    title = "payment"
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Overdue"), ("flagged", "Past 5 business days")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Order]) -> QuerySet[Order]:
        if self.value() == "yes":
            return queryset.overdue()  # type: ignore[attr-defined, no-any-return]
        if self.value() == "flagged":
            return queryset.filter(flagged_overdue_at__isnull=False, status=Order.Status.PENDING_PAYMENT)
        return queryset


class PaymentInline(HistoryTabularInline):
    model = Payment
    fk_name = "order"
    fields = (
        "created_at",
        "kind",
        "status",
        "amount",
        "invoice_number",
        "gateway_transaction_id",
        "card_last4",
        "reason",
        "note",
    )
    readonly_fields = fields


class OrderEventInline(HistoryTabularInline):
    model = OrderEvent
    fields = ("created_at", "kind", "from_status", "to_status", "message", "actor")
    readonly_fields = fields
    verbose_name_plural = "timeline"


class RefundForm(forms.Form):
    amount = StrictDecimalFormField(allow_zero=False)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))


class CancelForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    non_payment = forms.BooleanField(
        required=False,
        label="The buyer did not pay",
        help_text="Adds a non-payment strike to the buyer; two strikes suspend the account until staff reinstate it.",
    )
    suspend_buyer = forms.BooleanField(required=False, help_text="Also suspend the buyer from bidding now.")


@admin.register(Order)
class OrderAdmin(StrictNumbersAdminMixin, admin.ModelAdmin):
    list_display = [
        "number",
        "vehicle",
        "buyer",
        "seller",
        "status",
        "total",
        "amount_paid",
        "amount_refunded",
        "due_at",
        "overdue",
    ]
    list_filter = ["status", OverdueFilter, "source_type", ("sold_at", admin.DateFieldListFilter), "buyer_state"]
    search_fields = ["number", "vehicle__vin", "buyer__email", "seller__email"]
    list_select_related = ["vehicle", "buyer", "seller"]
    raw_id_fields = ["buyer", "seller", "vehicle"]
    date_hierarchy = "sold_at"
    inlines = [PaymentInline, OrderEventInline]
    readonly_fields = [
        "number",
        "source_type",
        "source_id",
        "status",
        "buyer",
        "seller",
        "vehicle",
        "buyer_state",
        *ORDER_AMOUNT_FIELDS,
        "sold_at",
        "due_at",
        "paid_at",
        "late_fee_applied_at",
        "flagged_overdue_at",
        "cancelled_at",
        "staff_actions",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["number", "status", "staff_actions", "source_type", "source_id", "buyer", "seller", "vehicle"]},
        ),
        ("Price", {"fields": ["buyer_state", *ORDER_PRICE_FIELDS]}),
        ("Money", {"fields": list(ORDER_PAYMENT_FIELDS)}),
        (
            "Dates",
            {"fields": ["sold_at", "due_at", "paid_at", "late_fee_applied_at", "flagged_overdue_at", "cancelled_at"]},
        ),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(boolean=True, description="Overdue")
    def overdue(self, order: Order) -> bool:
        due: datetime = order.due_at
        return order.status == Order.Status.PENDING_PAYMENT and due < timezone.now()

    @admin.display(description="Actions")
    def staff_actions(self, order: Order) -> str:
        if not order.pk:
            return "-"
        links = []
        if order.amount_paid > order.amount_refunded:
            links.append(
                format_html(
                    '<a class="button" href="{}">Refund</a>', reverse("admin:orders_order_refund", args=[order.pk])
                )
            )
        if order.status == Order.Status.PENDING_PAYMENT:
            links.append(
                format_html(
                    '<a class="button" href="{}">Cancel order</a>',
                    reverse("admin:orders_order_cancel", args=[order.pk]),
                )
            )
        return format_html(" ".join(["{}"] * len(links)), *links) if links else "-"

    def get_urls(self) -> list[Any]:
        return [
            path("<int:order_id>/refund/", self.admin_site.admin_view(self.refund_view), name="orders_order_refund"),
            path("<int:order_id>/cancel/", self.admin_site.admin_view(self.cancel_view), name="orders_order_cancel"),
            *super().get_urls(),
        ]

    def _action_page(self, request: HttpRequest, order: Order, form: forms.Form, title: str, note: str) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "order": order,
            "form": form,
            "title": title,
            "note": note,
            "opts": self.model._meta,
        }
        return render(request, "admin/orders/order_action.html", context)

    def refund_view(self, request: HttpRequest, order_id: int) -> HttpResponse:
        if not request.user.has_perm("orders.refund_order"):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=order_id)
        available = refundable_amount(order)
        form = RefundForm(request.POST or None, initial={"amount": available})
        if request.method == "POST" and form.is_valid():
            try:
                with staff_action(
                    request, "order_refund", Order, order.pk, fields=("amount_refunded", "status"),
                    reason=form.cleaned_data["reason"],
                ) as note:  # fmt: skip
                    note.extra["amount"] = f"{form.cleaned_data['amount']:.2f}"
                    refund = order_refund(
                        order_id=order.pk,
                        amount=form.cleaned_data["amount"],
                        reason=form.cleaned_data["reason"],
                        actor=request.user,
                    )
                    note.extra["outcome"] = refund.status
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                if refund.status == Payment.Status.APPROVED:
                    self.message_user(
                        request, f"{refund.get_kind_display()} of ${refund.amount:,} approved.", messages.SUCCESS
                    )
                else:
                    self.message_user(request, f"Refund not completed: {refund.reason}", messages.ERROR)
                return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
        return self._action_page(
            request, order, form, f"Refund {order.number}", f"Up to ${available:,} can be refunded."
        )

    def cancel_view(self, request: HttpRequest, order_id: int) -> HttpResponse:
        if not request.user.has_perm("orders.cancel_order"):
            raise PermissionDenied
        order = get_object_or_404(Order, pk=order_id)
        overdue = order.status == Order.Status.PENDING_PAYMENT and order.due_at < timezone.now()
        form = CancelForm(request.POST or None, initial={"non_payment": overdue})
        if request.method == "POST" and form.is_valid():
            try:
                with staff_action(
                    request, "order_cancel", Order, order.pk, fields=("status", "cancelled_at"),
                    reason=form.cleaned_data["reason"],
                ) as note:  # fmt: skip
                    note.extra["non_payment"] = form.cleaned_data["non_payment"]
                    order_cancel(
                        order_id=order.pk,
                        actor=request.user,
                        reason=form.cleaned_data["reason"],
                        suspend_buyer=form.cleaned_data["suspend_buyer"],
                        non_payment=form.cleaned_data["non_payment"],
                    )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"Order {order.number} cancelled.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
        return self._action_page(
            request, order, form, f"Cancel {order.number}", "The buyer is told; the vehicle can be relisted."
        )


@admin.register(Payment)
class PaymentAdmin(StrictNumbersAdminMixin, admin.ModelAdmin):
    list_display = ["invoice_number", "order", "kind", "status", "amount", "gateway_transaction_id", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["invoice_number", "gateway_transaction_id", "order__number"]
    list_select_related = ["order"]
    readonly_fields = [f.name for f in Payment._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

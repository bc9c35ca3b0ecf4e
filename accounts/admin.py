"""Staff console for accounts: users, seller applications, ID checks, cards and the event log.

Status changes go through admin actions that call services (never by editing a status field)."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from accounts import services
from accounts.forms import IdentityOverrideForm, ReasonForm
from accounts.models import AccountEvent, CardOnFile, IdentityVerification, SellerProfile, User
from core.admin import HistoryStackedInline, HistoryTabularInline, LogAdmin
from core.errors import DomainError


def _run_each(request: HttpRequest, queryset: QuerySet[Any], call: Callable[[Any], Any], done_text: str) -> None:
    done, failures = 0, []
    for obj in queryset:
        try:
            call(obj)
        except DomainError as exc:
            failures.append(f"{obj}: {exc.message}")
        else:
            done += 1
    if done:
        messages.success(request, f"{done} {done_text}.")
    for failure in failures:
        messages.error(request, failure)


def reason_action(
    *,
    name: str,
    description: str,
    done_text: str,
    call: Callable[[Any, User, dict[str, Any]], Any],
    form_class: type[forms.Form] = ReasonForm,
) -> Callable[..., TemplateResponse | None]:
    """An admin action that first asks for a reason (and maybe more) on an intermediate page."""

    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> TemplateResponse | None:
        form = form_class(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            actor = request.user
            assert isinstance(actor, User)
            _run_each(request, queryset, lambda obj: call(obj, actor, form.cleaned_data), done_text)
            return None
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": description,
            "objects": queryset,
            "form": form,
            "action_name": name,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "accounts/admin_reason_form.html", context)

    action.__name__ = name
    return admin.action(description=description)(action)


class SellerProfileInline(HistoryStackedInline):
    model = SellerProfile
    fk_name = "user"
    readonly_fields = fields = (
        "business_name",
        "dealer_license_number",
        "tax_id",
        "status",
        "rejection_reason",
        "submitted_at",
        "decided_at",
        "decided_by",
    )


class IdentityInline(HistoryTabularInline):
    model = IdentityVerification
    fk_name = "user"
    readonly_fields = fields = (
        "status",
        "vendor_status",
        "inquiry_id",
        "started_at",
        "decided_at",
        "overridden_by",
        "override_reason",
    )


class CardInline(HistoryTabularInline):
    model = CardOnFile
    readonly_fields = fields = (
        "brand",
        "last4",
        "exp_month",
        "exp_year",
        "validated_at",
        "customer_profile_id",
        "payment_profile_id",
    )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-date_joined"]
    list_display = ["email", "first_name", "last_name", "role", "is_staff", "suspended_at", "date_joined"]
    list_filter = ["role", "is_staff", "is_active", ("suspended_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "first_name", "last_name", "phone"]
    readonly_fields = ["date_joined", "last_login", "suspended_at", "suspension_reason"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "phone")}),
        ("Address", {"fields": ("address_line1", "address_line2", "city", "state", "postal_code")}),
        ("Role", {"fields": ("role", "is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Suspension (use the Suspend / Reinstate actions)", {"fields": ("suspended_at", "suspension_reason")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    inlines = [SellerProfileInline, IdentityInline, CardInline]
    actions = [
        reason_action(
            name="suspend_users",
            description="Suspend selected users…",
            done_text="user(s) suspended",
            call=lambda user, actor, data: services.user_suspend(user_id=user.pk, actor=actor, reason=data["reason"]),
        ),
        reason_action(
            name="reinstate_users",
            description="Reinstate selected users…",
            done_text="user(s) reinstated",
            call=lambda user, actor, data: services.user_reinstate(user_id=user.pk, actor=actor, reason=data["reason"]),
        ),
    ]


@admin.register(SellerProfile)
class SellerProfileAdmin(admin.ModelAdmin):
    list_display = ["business_name", "user", "status", "dealer_license_number", "state", "submitted_at", "decided_at"]
    list_filter = ["status", "state"]
    list_select_related = ["user"]
    search_fields = ["business_name", "dealer_license_number", "user__email"]
    raw_id_fields = ["user"]
    readonly_fields = [
        "user",
        "status",
        "rejection_reason",
        "submitted_at",
        "decided_at",
        "decided_by",
        "created_at",
        "updated_at",
    ]
    actions = [
        "approve_applications",
        reason_action(
            name="reject_applications",
            description="Reject selected applications…",
            done_text="application(s) rejected",
            call=lambda app, actor, data: services.seller_application_reject(
                application_id=app.pk, actor=actor, reason=data["reason"]
            ),
        ),
    ]

    @admin.action(description="Approve selected applications")
    def approve_applications(self, request: HttpRequest, queryset: QuerySet[SellerProfile]) -> None:
        actor = request.user
        assert isinstance(actor, User)
        _run_each(
            request,
            queryset,
            lambda app: services.seller_application_approve(application_id=app.pk, actor=actor),
            "application(s) approved",
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(IdentityVerification)
class IdentityVerificationAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "status",
        "vendor_status",
        "inquiry_id",
        "attempts",
        "started_at",
        "decided_at",
        "overridden_by",
    ]
    list_filter = ["status", ("overridden_by", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "overridden_by"]
    search_fields = ["user__email", "inquiry_id"]
    readonly_fields = [
        "user",
        "status",
        "vendor_status",
        "inquiry_id",
        "attempts",
        "started_at",
        "decided_at",
        "last_checked_at",
        "overridden_by",
        "override_reason",
        "updated_at",
    ]
    actions = [
        reason_action(
            name="override_status",
            description="Override ID check status…",
            done_text="ID check(s) overridden",
            form_class=IdentityOverrideForm,
            call=lambda verification, actor, data: services.identity_verification_override(
                user_id=verification.user_id, status=data["status"], actor=actor, reason=data["reason"]
            ),
        )
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CardOnFile)
class CardOnFileAdmin(admin.ModelAdmin):
    list_display = ["user", "brand", "last4", "exp_month", "exp_year", "validated_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "last4", "customer_profile_id"]
    readonly_fields = [f.name for f in CardOnFile._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccountEvent)
class AccountEventAdmin(LogAdmin):
    list_display = ["created_at", "user", "kind", "from_status", "to_status", "actor", "reason"]
    list_filter = ["kind"]
    list_select_related = ["user", "actor"]
    search_fields = ["user__email", "reason"]

"""Staff console for accounts: users, seller applications, ID checks, cards and the event log.

Status changes go through admin actions that call services (never by editing a status field)."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import IdentityOverrideForm, ReasonForm
from accounts.models import AccountEvent, CardOnFile, IdentityVerification, SellerProfile, Strike, User
from accounts.selectors import has_verified_email, identity_status
from core.admin import HistoryStackedInline, HistoryTabularInline, LogAdmin
from core.audit import staff_action, staff_action_record
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
    permissions: tuple[str, ...] = (),
    audit_fields: tuple[str, ...] = (),
) -> Callable[..., TemplateResponse | None]:
    """An admin action that first asks for a reason (and maybe more) on an intermediate page. With
    `permissions` ("suspend" → the ModelAdmin's has_suspend_permission) only staff holding them see and run
    it; with `audit_fields` each object's change is recorded in the audit trail (core.audit)."""

    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any]) -> TemplateResponse | None:
        form = form_class(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            actor = request.user
            assert isinstance(actor, User)

            def run(obj: Any) -> Any:
                if not audit_fields:
                    return call(obj, actor, form.cleaned_data)
                reason = str(form.cleaned_data.get("reason", ""))
                with staff_action(request, name, type(obj), obj.pk, fields=audit_fields, reason=reason):
                    return call(obj, actor, form.cleaned_data)

            _run_each(request, queryset, run, done_text)
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
    return admin.action(description=description, permissions=permissions or None)(action)


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
    readonly_fields = ["console_page", "date_joined", "last_login", "suspended_at", "suspension_reason"]
    fieldsets = (
        (None, {"fields": ("console_page", "email", "password")}),
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
            permissions=("suspend",),
            audit_fields=("suspended_at", "suspension_reason"),
        ),
        reason_action(
            name="reinstate_users",
            description="Reinstate selected users…",
            done_text="user(s) reinstated",
            call=lambda user, actor, data: services.user_reinstate(user_id=user.pk, actor=actor, reason=data["reason"]),
            permissions=("suspend",),
            audit_fields=("suspended_at", "suspension_reason"),
        ),
    ]

    ACCESS_FIELDS = ("is_staff", "is_superuser", "is_active")

    def _access(self, user_id: Any) -> dict[str, Any]:
        row = User.objects.filter(pk=user_id).values(*self.ACCESS_FIELDS).first() or {}
        groups = sorted(User.groups.through.objects.filter(user_id=user_id).values_list("group__name", flat=True))
        return {**row, "groups": ", ".join(groups)}

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        request._access_before = self._access(obj.pk) if change else {}  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Who is staff, superuser, active and in which role goes into the audit trail (before → after)."""
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_access_before", {})
        after = self._access(form.instance.pk)
        changes = {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}
        if changes:
            staff_action_record(request=request, action="user_access_change", instance=form.instance, changes=changes)

    def has_suspend_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("accounts.suspend_user"))

    @admin.display(description="Everything about this person")
    def console_page(self, user: User) -> str:
        if not user.pk:
            return "-"
        return format_html('<a href="{}">Open the person page</a>', reverse("admin:console_person", args=[user.pk]))


DECISION_FIELDS = ("status", "rejection_reason", "decided_at", "decided_by")


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
    change_form_template = "admin/accounts/sellerprofile/change_form.html"
    actions = [
        "approve_applications",
        reason_action(
            name="reject_applications",
            description="Reject selected applications…",
            done_text="application(s) rejected",
            call=lambda app, actor, data: services.seller_application_reject(
                application_id=app.pk, actor=actor, reason=data["reason"]
            ),
            permissions=("review",),
            audit_fields=DECISION_FIELDS,
        ),
    ]

    @admin.action(description="Approve selected applications", permissions=["review"])
    def approve_applications(self, request: HttpRequest, queryset: QuerySet[SellerProfile]) -> None:
        actor = request.user
        assert isinstance(actor, User)

        def approve(app: SellerProfile) -> None:
            with staff_action(request, "seller_application_approve", SellerProfile, app.pk, fields=DECISION_FIELDS):
                services.seller_application_approve(application_id=app.pk, actor=actor)

        _run_each(request, queryset, approve, "application(s) approved")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_review_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("accounts.review_sellerprofile"))

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/approve/", view(self.approve_view), name="accounts_sellerprofile_approve"),
            path("<int:pk>/reject/", view(self.reject_view), name="accounts_sellerprofile_reject"),
            path("<int:pk>/license/", view(self.license_view), name="accounts_sellerprofile_license"),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The application with what staff need to decide: the applicant's checks and license document."""
        application = SellerProfile.objects.select_related("user").filter(pk=object_id).first()
        context = dict(extra_context or {})
        if application is not None:
            card = CardOnFile.objects.filter(user_id=application.user_id).first()
            context.update(
                decision={
                    "identity": IdentityVerification.Status(identity_status(application.user)).label,
                    "identity_approved": identity_status(application.user) == IdentityVerification.Status.APPROVED,
                    "email_verified": has_verified_email(application.user),
                    "card": card.label if card else "",
                    "strikes": Strike.objects.filter(user_id=application.user_id).count(),
                    "suspended": application.user.is_suspended,
                },
                may_review=self.has_review_permission(request) and application.awaits_decision(),
                reject_form=ReasonForm(),
            )
        return super().change_view(request, object_id, form_url, context)

    def _decided(
        self, request: HttpRequest, pk: int, call: Callable[[], Any], action: str, reason: str
    ) -> HttpResponse:
        if not self.has_review_permission(request):
            raise PermissionDenied
        try:
            with staff_action(request, action, SellerProfile, pk, fields=DECISION_FIELDS, reason=reason):
                call()
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                "Application approved; the applicant can now list vehicles."
                if action.endswith("approve")
                else "Application rejected; the applicant was told why.",
            )
        return HttpResponseRedirect(reverse("admin:accounts_sellerprofile_change", args=[pk]))

    def approve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return require_POST(self._approve)(request, pk)

    def _approve(self, request: HttpRequest, pk: int) -> HttpResponse:
        actor = request.user
        return self._decided(
            request, pk, lambda: services.seller_application_approve(application_id=pk, actor=actor),  # type: ignore[arg-type]
            "seller_application_approve", "",
        )  # fmt: skip

    def reject_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return require_POST(self._reject)(request, pk)

    def _reject(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Give the applicant a reason for the rejection.")
            return HttpResponseRedirect(reverse("admin:accounts_sellerprofile_change", args=[pk]))
        reason, actor = form.cleaned_data["reason"], request.user
        return self._decided(
            request, pk,
            lambda: services.seller_application_reject(application_id=pk, actor=actor, reason=reason),  # type: ignore[arg-type]
            "seller_application_reject", reason,
        )  # fmt: skip

    def license_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The applicant's license document, to staff who may see applications (never a public URL)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        application = get_object_or_404(SellerProfile, pk=pk)
        if not application.license_document:
            raise Http404("No license document was uploaded.")
        try:
            handle = application.license_document.open("rb")
        except FileNotFoundError as exc:
            raise Http404("The license document file is missing.") from exc
        name = (application.license_document.name or "license").rsplit("/", 1)[-1]
        return FileResponse(handle, filename=name, as_attachment=False)  # type: ignore[return-value]


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
            permissions=("change",),
            audit_fields=("status", "overridden_by", "override_reason"),
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


@admin.register(Strike)
class StrikeAdmin(LogAdmin):
    list_display = ["created_at", "user", "source", "reason", "actor"]
    list_select_related = ["user", "actor"]
    search_fields = ["user__email", "source", "reason"]

"""The console's admin site: a home page of what needs attention, the console's own pages (people, live
monitor, reports), and plumbing (axes, token blacklist, periodic tasks, sites, Celery results) shown to
superusers only. Every page is behind `admin_view` (staff login) and checks its own permission."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from backoffice.roles import PLUMBING_APPS


class SuperuserOnlyMixin:
    """Plumbing: invisible and closed to staff who are not superusers, whatever permissions they were given."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return bool(request.user.is_superuser) and super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser) and super().has_delete_permission(request, obj)  # type: ignore[misc]


class ConsoleSite(admin.AdminSite):
    site_header = "North Star Auto Auctions — staff console"
    site_title = "North Star staff"
    index_title = "Operations"
    index_template = "admin/console/home.html"

    def restrict_plumbing(self) -> None:
        """Re-register the plumbing's admins with SuperuserOnlyMixin (called once every app registered)."""
        for model, model_admin in list(self._registry.items()):
            if model._meta.app_label not in PLUMBING_APPS or isinstance(model_admin, SuperuserOnlyMixin):
                continue
            cls = type(model_admin)
            self.unregister(model)
            self.register(model, type(f"SuperuserOnly{cls.__name__}", (SuperuserOnlyMixin, cls), {}))

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        from backoffice.attention import attention_items

        context = {
            "attention": attention_items(request.user),
            "console_links": self.console_links(request),
            **(extra_context or {}),
        }
        return super().index(request, context)

    def console_links(self, request: HttpRequest) -> list[tuple[str, str]]:
        from django.urls import reverse

        user = request.user
        links = []
        if user.has_perm("auctions.monitor_auction"):
            links.append(("Live monitor", reverse("admin:console_monitor")))
        if user.has_perm("backoffice.view_reports"):
            links.append(("Reports", reverse("admin:console_reports")))
        if user.has_perm("accounts.view_user"):
            links.append(("People", reverse("admin:console_people")))
        if user.has_perm("auditlog.view_logentry"):
            links.append(("Audit trail", reverse("admin:auditlog_logentry_changelist")))
        return links

    def get_urls(self) -> list[Any]:
        from backoffice.views import monitor, people, reports

        def page(view: Any) -> Any:
            return self.admin_view(view)

        own: list[URLPattern] = [
            path("console/people/", page(people.people_search), name="console_people"),
            path("console/people/<int:user_id>/", page(people.person), name="console_person"),
            path("console/people/<int:user_id>/suspend/", page(people.person_suspend), name="console_person_suspend"),
            path(
                "console/people/<int:user_id>/reinstate/",
                page(people.person_reinstate),
                name="console_person_reinstate",
            ),
            path("console/people/<int:user_id>/note/", page(people.person_note), name="console_person_note"),
            path("console/monitor/", page(monitor.monitor), name="console_monitor"),
            path("console/monitor/rows/", page(monitor.monitor_rows), name="console_monitor_rows"),
            path("console/monitor/<int:auction_id>/", page(monitor.auction_feed), name="console_auction"),
            path("console/monitor/<int:auction_id>/bids/", page(monitor.auction_bids), name="console_auction_bids"),
            path("console/monitor/<int:auction_id>/void/", page(monitor.bid_void), name="console_bid_void"),
            path(
                "console/monitor/<int:auction_id>/cancel/", page(monitor.auction_cancel), name="console_auction_cancel"
            ),
            path("console/reports/", page(reports.index), name="console_reports"),
            path("console/reports/<slug:name>/", page(reports.report), name="console_report"),
        ]
        return own + super().get_urls()

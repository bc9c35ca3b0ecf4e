from typing import Any

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class BackofficeConfig(AppConfig):
    """The staff console: the top floor. It reads every app below it; nothing below imports it."""

    name = "backoffice"
    verbose_name = "Staff console"
    default = True

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from django.contrib.auth.signals import user_logged_in

        from backoffice.middleware import record_login_sighting

        # A login is where a person and a browser meet: the device evidence of fraud flags (auth plumbing,
        # not domain flow, so Django's own signal is the door).
        user_logged_in.connect(record_login_sighting, dispatch_uid="backoffice-login-sighting")
        from django.apps import apps
        from django.conf import settings

        # Table edits staff make in the console (fee and rate tables, roles) are kept with before/after values.
        entries: list[Any] = list(settings.AUDITED_TABLES)
        for entry in entries:
            dotted, options = (entry, {}) if isinstance(entry, str) else entry
            try:
                model = apps.get_model(dotted)
            except LookupError:
                continue
            if not auditlog.contains(model):
                auditlog.register(model, **options)


class ConsoleAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the console's site (home page, roles, plumbing for superusers only)."""

    default = False
    default_site = "backoffice.site.ConsoleSite"

    def ready(self) -> None:
        super().ready()  # autodiscovers every app's admin module
        from django.contrib import admin

        admin.site.restrict_plumbing()  # type: ignore[attr-defined]

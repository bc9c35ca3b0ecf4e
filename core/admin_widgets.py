"""The admin's date-and-time widget with a name on each of its two inputs (WCAG 1.3.1, 4.1.2): Django's own
labels them only with loose "Date:" / "Time:" text. Installed as the admin's default for every DateTimeField
by `install` (core.apps)."""

from typing import Any

from django.contrib.admin.widgets import AdminSplitDateTime


class LabelledAdminSplitDateTime(AdminSplitDateTime):
    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        field = name.rsplit("-", 1)[-1].replace("_", " ").capitalize()  # inline forms prefix the name
        for subwidget, part in zip(context["widget"]["subwidgets"], ("date", "time"), strict=False):
            subwidget["attrs"]["aria-label"] = f"{field}: {part}"
        return context


def install() -> None:
    from django.contrib.admin import options
    from django.db import models

    options.FORMFIELD_FOR_DBFIELD_DEFAULTS[models.DateTimeField]["widget"] = LabelledAdminSplitDateTime

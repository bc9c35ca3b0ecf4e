"""The admin's date-and-time widget with a name on each of its two inputs (WCAG 1.3.1, 4.1.2): Django's own
labels them only with loose "Date:" / "Time:" text. `install` (core.apps) wraps the widget's context, so every
admin form has it, including those of ModelAdmins registered before this app was ready."""

from typing import Any

from django.contrib.admin.widgets import AdminSplitDateTime

_original_get_context = AdminSplitDateTime.get_context


def labelled_context(self: AdminSplitDateTime, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
    context = _original_get_context(self, name, value, attrs)
    field = name.rsplit("-", 1)[-1].replace("_", " ").capitalize()  # inline forms prefix the name
    for subwidget, part in zip(context["widget"]["subwidgets"], ("date", "time"), strict=False):
        subwidget["attrs"]["aria-label"] = f"{field}: {part}"
    return context


def install() -> None:
    AdminSplitDateTime.get_context = labelled_context  # type: ignore[method-assign]

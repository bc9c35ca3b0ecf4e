"""The accessibility statement page (/accessibility/) and its barrier report form: a report is stored
(core.models.BarrierReport) and staff see it in the admin."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme

from core.models import BarrierReport


class BarrierReportForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = BarrierReport
        fields = ("page_url", "description", "assistive_technology", "contact_email")
        labels = {
            "page_url": "Page address (optional)",
            "description": "What stopped you?",
            "assistive_technology": "Browser and assistive technology (optional)",
            "contact_email": "Email, if you would like a reply (optional)",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 5}),
            "contact_email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")

    def full_clean(self) -> None:
        """A field in error says so (aria-invalid) and names its message (aria-describedby, the template's id)."""
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs.update({"aria-invalid": "true", "aria-describedby": f"{self[name].id_for_label}-error"})


def barrier_report_create(*, data: dict[str, Any], reporter: Any) -> BarrierReport:
    """Store a validated report; a logged-in reporter is linked to it."""
    return BarrierReport.objects.create(
        **data, reporter=reporter if getattr(reporter, "is_authenticated", False) else None
    )


def accessibility_statement(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = BarrierReportForm(request.POST)
        if form.is_valid():
            barrier_report_create(data=form.cleaned_data, reporter=request.user)
            messages.success(request, "Thank you. We have your report and staff will look at it.")
            return redirect("accessibility")
    else:
        referer = request.headers.get("referer", "")
        safe = url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()})
        form = BarrierReportForm(initial={"page_url": referer if safe else ""})
    return render(request, "accessibility.html", {"form": form})


urlpatterns = [path("accessibility/", accessibility_statement, name="accessibility")]

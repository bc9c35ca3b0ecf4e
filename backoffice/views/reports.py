"""Reports: pick a report, a grouping (day, week, month, seller) and a date range; a table with a chart,
or the same rows as CSV (`?format=csv`)."""

import csv
from datetime import timedelta
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from backoffice.reports.periods import Range
from backoffice.reports.registry import PENDING_REPORTS, REPORTS
from backoffice.reports.tables import Report
from backoffice.views.common import console_context, require
from core.replica import replica_reads_view

MAX_DAYS = 3 * 366


class ReportForm(forms.Form):
    group = forms.ChoiceField(
        label="Group by",
        choices=[("day", "Day"), ("week", "Week"), ("month", "Month"), ("seller", "Seller")],
        initial="week",
    )
    first = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    last = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first"), data.get("last")
        if first and last:
            if last < first:
                self.add_error("last", "The end must be on or after the start.")
            elif (last - first).days > MAX_DAYS:
                self.add_error("last", "Pick at most three years.")
        return data


def _defaults() -> dict[str, Any]:
    today = timezone.localdate()
    return {"group": "week", "first": today - timedelta(days=89), "last": today}


def index(request: HttpRequest) -> HttpResponse:
    require(request, "backoffice.view_reports")
    context = console_context(
        request, "Reports", reports=[(name, title) for name, (title, _) in REPORTS.items()], pending=PENDING_REPORTS
    )
    return TemplateResponse(request, "admin/console/reports.html", context)


@replica_reads_view  # reports decide nothing: the read replica answers them when there is one
def report(request: HttpRequest, name: str) -> HttpResponse:
    require(request, "backoffice.view_reports")
    if name not in REPORTS:
        raise Http404("No such report.")
    title, build = REPORTS[name]
    asked = {key: value for key, value in request.GET.items() if key in ReportForm.base_fields}
    defaults = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in _defaults().items()}
    form = ReportForm({**defaults, **asked})  # what was not asked keeps its default
    for name in form.errors:
        if name in form.fields:
            form.fields[name].widget.attrs.update({"aria-invalid": "true", "aria-describedby": f"id_{name}-errors"})
    result: Report | None = None
    if form.is_valid():
        span = Range(form.cleaned_data["first"], form.cleaned_data["last"])
        result = build(span, form.cleaned_data["group"])
        if request.GET.get("format") == "csv":
            return _csv(result, span)
    context = console_context(
        request,
        title,
        form=form,
        report=result,
        report_name=name,
        charts=[
            {"id": f"chart-{i}", "points": _points(table.rows, table.chart), "label": table.title}
            for i, table in enumerate(result.tables if result else [])
            if table.chart and table.rows
        ],
        csv_query=request.GET.urlencode(),
    )
    return TemplateResponse(request, "admin/console/report.html", context, status=200 if form.is_valid() else 400)


def _points(rows: list[dict[str, Any]], chart: tuple[str, str] | None) -> list[list[Any]]:
    if not chart:
        return []
    label, value = chart
    return [[str(row[label]), float(row[value] or 0)] for row in rows]  # drawing only; tables show exact values


def _csv(result: Report, span: Range) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{result.name}-{span.first}-{span.last}.csv"'
    writer = csv.writer(response)
    for table in result.tables:
        writer.writerow([table.title])
        writer.writerow([column.label for column in table.columns])
        for row in [*table.rows, *([table.totals] if table.totals else [])]:
            writer.writerow(["" if row.get(c.key) is None else row.get(c.key) for c in table.columns])
        writer.writerow([])
    return response

"""The public Results page: ended sales with their price, filterable like the inventory (read-only)."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.replica import replica_reads_view
from vehicles.filters import VehicleFilter
from vehicles.models import Vehicle
from vehicles.selectors import RESULT_SORTS, result_makes, result_models, sale_results

PAGE_SIZE = 24


@replica_reads_view  # past sales decide nothing: the read replica may answer (core/replica.py)
def results(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    for name in ("sort", "outcome", "page"):  # the Results page's own parameters
        params.pop(name, None)
    filterset = VehicleFilter(params or None, queryset=Vehicle.objects.none(), request=request)
    criteria = filterset.criteria
    outcome = request.GET.get("outcome", "")
    sort = request.GET.get("sort", "recent")
    sort = sort if sort in RESULT_SORTS else "recent"
    page = Paginator(sale_results(criteria, outcome=outcome, sort=sort), PAGE_SIZE).get_page(request.GET.get("page"))
    without_page = request.GET.copy()
    without_page.pop("page", None)
    return render(
        request,
        "vehicles/results.html",
        {
            "page": page,
            "vehicles": list(page.object_list),
            "form": filterset.form,
            "errors": filterset.form.errors if filterset.is_bound else {},
            "outcome": outcome,
            "sorts": [(key, label) for key, (label, _) in RESULT_SORTS.items()],
            "current_sort": sort,
            "makes": result_makes(),
            "models": result_models(request.GET.get("make", "")),
            "querystring": without_page.urlencode(),
            "body_types": Vehicle.BodyType.choices,
            "selected_body": request.GET.getlist("body_type"),
        },
    )
